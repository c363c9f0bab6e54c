#!/usr/bin/env bash
# Builds a deterministic synthetic git repository to benchmark history scans with.
#
# Usage: benches/synthetic-history.sh OUT_DIR [COMMITS] [FILES]
#
#   OUT_DIR  where to create the repository (bare); must not exist or be empty
#   COMMITS  commits on main's first-parent line (default 20000, at least 50)
#   FILES    source files in the tree (default 2000, at least 10)
#   env SEED generator seed (default 1337): same arguments and seed, same commit ids
#   env REPACK_WINDOW  the final repack's --window (default 250; 10 builds a large history
#            in minutes rather than the better part of an hour, with shorter delta chains)
#
# Everything is generated offline by an inline Python script and streamed into
# `git fast-import`: an initial commit with FILES source-like files (Rust, Python and
# TypeScript-ish text, a few KiB each), then commits each editing a few lines of 1 to 4
# files (a hot subset is edited more often), so that packs have long delta chains. Every
# COMMITS/12 commits a feature branch of 2 to 5 commits is forked and merged back (no
# fast-forward) a few commits later; every COMMITS/20 commits main is tagged (annotated
# tags, plus a few lightweight ones). Authors, committers and dates are fixed.
#
# Planted credentials: 6 commits on main add an INI credentials file (config/credentials,
# .aws/credentials, ...; one of them with two profiles) that a later commit deletes, and
# one commit on the unmerged branch wip/local-ops adds one more: 8 key pairs in all. Key
# IDs are "AKIA" + 16 base32 characters whose first is in [Q-Z2-7]; secrets are 40
# characters of [A-Za-z0-9+/] with upper- and lower-case letters and digits. All come
# from the seeded generator, nothing key-like is written in this script. Their key IDs
# (no secrets) are listed in OUT_DIR/info/planted-credentials, one per line with the
# branch and path (a file of the git directory, not an object: scanners do not see it).
#
# Finally `git repack -adf --depth=50 --window=$REPACK_WINDOW` leaves one delta-compressed pack.
# The default size takes about 80 s on 2 cores (141k objects, 22 MiB pack).

set -euo pipefail

usage() {
    echo "usage: $0 OUT_DIR [COMMITS] [FILES]   (env: SEED, default 1337)" >&2
    exit 2
}

[[ $# -ge 1 && $# -le 3 ]] || usage
OUT_DIR=$1
COMMITS=${2:-20000}
FILES=${3:-2000}
SEED=${SEED:-1337}
[[ $COMMITS =~ ^[0-9]+$ && $COMMITS -ge 50 ]] || { echo "COMMITS must be an integer >= 50" >&2; exit 2; }
[[ $FILES =~ ^[0-9]+$ && $FILES -ge 10 ]] || { echo "FILES must be an integer >= 10" >&2; exit 2; }
[[ $SEED =~ ^[0-9]+$ ]] || { echo "SEED must be a non-negative integer" >&2; exit 2; }
if [[ -e $OUT_DIR ]] && [[ -n $(ls -A "$OUT_DIR" 2>/dev/null) ]]; then
    echo "$OUT_DIR exists and is not empty" >&2
    exit 2
fi
command -v python3 >/dev/null 2>&1 || { echo "python3 is required" >&2; exit 2; }

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
# No user or system configuration may change what is written.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
git init -q --bare "$OUT_DIR"
git -C "$OUT_DIR" symbolic-ref HEAD refs/heads/main
git -C "$OUT_DIR" config gc.auto 0
PLANTED=$OUT_DIR/info/planted-credentials
mkdir -p "$OUT_DIR/info"

start=$(date +%s)
echo "generating $COMMITS commits over $FILES files (seed $SEED) into $OUT_DIR" >&2

python3 - "$COMMITS" "$FILES" "$SEED" "$PLANTED" <<'PY' | git -C "$OUT_DIR" fast-import --quiet --done
import random
import sys

COMMITS, FILES, SEED = (int(a) for a in sys.argv[1:4])
PLANTED = sys.argv[4]
rng = random.Random(SEED)
out = sys.stdout.buffer
w = out.write

# ---------------------------------------------------------------- vocabulary
WORDS = ("account batch buffer cache channel client config context cursor delta digest "
         "entry event field filter frame handle header index input item key layer limit "
         "link loader manifest message node offset option packet parser path payload pool "
         "queue reader record region request result route schema scope segment session "
         "signal source state store stream table task token tree value window worker writer").split()
VERBS = ("build check clear close collect commit compute decode encode fetch flush format "
         "handle insert load lookup merge open parse push read refresh register remove "
         "render reset resolve retry scan send split store sync update validate write").split()
TYPES_RS = ["u32", "u64", "usize", "i64", "bool", "String", "&str", "Vec<u8>", "Option<u64>",
            "&[u8]", "Duration", "PathBuf"]
TYPES_TS = ["number", "string", "boolean", "Buffer", "string[]", "Map<string, number>", "Date"]
ERRORS = ["Io", "Parse", "Timeout", "NotFound", "Invalid", "Closed", "Overflow", "Denied"]
COMMENT = ("the we this that when if not only once each every first last before after so "
           "because otherwise still keep avoid handle return retry skip use it").split()
AREAS = ["core", "net", "storage", "api", "cli", "util", "auth", "sync", "index", "render",
         "query", "config", "cache", "proto", "io", "metrics", "plugin", "schema", "task", "ui"]
PEOPLE = [("Alice Martin", "alice@example.com"), ("Bob Nguyen", "bob@example.com"),
          ("Chloe Dubois", "chloe@example.org"), ("Dmitri Ivanov", "dmitri@example.net"),
          ("Emma Schultz", "emma@example.com"), ("Farid Haddad", "farid@example.org"),
          ("Grace Okafor", "grace@example.net"), ("Hiro Tanaka", "hiro@example.com"),
          ("Ines Costa", "ines@example.org"), ("Jonas Berg", "jonas@example.net")]
CI = ("Release Bot", "release-bot@example.com")


def ident():
    n = rng.randint(1, 3)
    return "_".join(rng.choice(VERBS if i == 0 and n > 1 else WORDS) for i in range(n))


def camel(s):
    p = s.split("_")
    return p[0] + "".join(x.capitalize() for x in p[1:])


def words(lo, hi):
    return " ".join(rng.choice(COMMENT + WORDS + VERBS) for _ in range(rng.randint(lo, hi)))


def stmt_rs():
    v, f, a = rng.choice(WORDS), rng.choice(VERBS) + "_" + rng.choice(WORDS), rng.choice(WORDS)
    n = rng.choice([0, 1, 2, 8, 16, 64, 256, 1024, 4096, rng.randint(3, 99999)])
    return rng.choice([
        f"let {v} = {f}(&{a}, {n})?;",
        f"let mut {v}_{rng.choice(WORDS)} = Vec::with_capacity({n});",
        f"if {v}.len() > {n} {{ return Err(Error::{rng.choice(ERRORS)}); }}",
        f"self.{v} = {a}.{rng.choice(VERBS)}()?;",
        f"{v}.{rng.choice(VERBS)}({a}.{rng.choice(WORDS)});",
        f"// {words(4, 12)}",
        f"tracing::debug!(\"{words(2, 5)}: {{}}\", {v});",
        f"for {a} in {v}.iter() {{ {f}({a}); }}",
        f"let {v}: {rng.choice(TYPES_RS)} = {a}.{rng.choice(WORDS)}.{rng.choice(VERBS)}();",
        f"debug_assert!({v} <= {n}, \"{words(2, 6)}\");",
        f"match {v} {{ Some(x) => {f}(x), None => continue }}",
    ])


def stmt_py():
    v, f, a = rng.choice(WORDS), rng.choice(VERBS) + "_" + rng.choice(WORDS), rng.choice(WORDS)
    n = rng.choice([0, 1, 2, 10, 100, 1000, rng.randint(3, 99999)])
    return rng.choice([
        f"{v} = {f}({a}, {n})",
        f"if len({v}) > {n}:\n            raise {rng.choice(ERRORS)}Error(\"{words(2, 6)}\")",
        f"self.{v} = {a}.{rng.choice(VERBS)}()",
        f"{v}.{rng.choice(VERBS)}({a}.{rng.choice(WORDS)})",
        f"# {words(4, 12)}",
        f"log.debug(\"{words(2, 5)}: %s\", {v})",
        f"for {a} in {v}:\n            {f}({a})",
        f"{v} = [{a} for {a} in self.{rng.choice(WORDS)} if {a}.{rng.choice(WORDS)}]",
        f"assert {v} <= {n}, \"{words(2, 6)}\"",
    ])


def stmt_ts():
    v, f, a = camel(rng.choice(WORDS)), camel(rng.choice(VERBS) + "_" + rng.choice(WORDS)), rng.choice(WORDS)
    n = rng.choice([0, 1, 2, 10, 100, 1000, rng.randint(3, 99999)])
    return rng.choice([
        f"const {v} = await this.{f}({a}, {n});",
        f"let {v}: {rng.choice(TYPES_TS)} = {a}.{camel(rng.choice(WORDS))};",
        f"if ({v}.length > {n}) {{ throw new {rng.choice(ERRORS)}Error(\"{words(2, 6)}\"); }}",
        f"this.{v} = {a}.{camel(rng.choice(VERBS))}();",
        f"// {words(4, 12)}",
        f"logger.debug(`{words(2, 5)}: ${{{v}}}`);",
        f"for (const {a} of {v}) {{ {f}({a}); }}",
        f"{v}.{camel(rng.choice(VERBS))}({a}?.{camel(rng.choice(WORDS))} ?? {n});",
    ])


class Source:
    """A source file as a list of functions, each a list of statements."""

    def __init__(self, path, lang):
        self.path, self.lang = path, lang
        self.header = self.make_header()
        self.funcs = [self.make_func() for _ in range(rng.randint(5, 18))]

    def stmt(self):
        return {"rs": stmt_rs, "py": stmt_py, "ts": stmt_ts}[self.lang]()

    def make_header(self):
        mods = sorted({rng.choice(WORDS) for _ in range(rng.randint(2, 6))})
        if self.lang == "rs":
            return (f"//! {words(5, 14)}.\n\n" + "".join(f"use crate::{m}::{m.capitalize()};\n" for m in mods)
                    + "use std::collections::HashMap;\n")
        if self.lang == "py":
            return (f'"""{words(5, 14)}."""\n\nimport logging\n' + "".join(f"from .{m} import {m.capitalize()}\n" for m in mods)
                    + "\nlog = logging.getLogger(__name__)\n")
        return "".join(f"import {{ {m.capitalize()} }} from \"./{m}\";\n" for m in mods) + "import { logger } from \"../log\";\n"

    def make_func(self):
        name = ident()
        if self.lang == "rs":
            sig = (f"pub fn {name}(&mut self, {rng.choice(WORDS)}: {rng.choice(TYPES_RS)}) -> "
                   f"Result<{rng.choice(TYPES_RS)}, Error> {{")
        elif self.lang == "py":
            sig = f"    def {name}(self, {rng.choice(WORDS)}, {rng.choice(WORDS)}=None):"
        else:
            sig = f"  async {camel(name)}({rng.choice(WORDS)}: {rng.choice(TYPES_TS)}): Promise<{rng.choice(TYPES_TS)}> {{"
        return [sig, [self.stmt() for _ in range(rng.randint(3, 12))]]

    def edit(self):
        for _ in range(rng.randint(1, 4)):
            f = rng.choice(self.funcs)
            body = f[1]
            r = rng.random()
            if r < 0.45 or len(body) < 2:
                body.insert(rng.randint(0, len(body)), self.stmt())
            elif r < 0.75:
                body[rng.randrange(len(body))] = self.stmt()
            elif r < 0.92:
                del body[rng.randrange(len(body))]
            elif r < 0.97 or len(self.funcs) < 4:
                self.funcs.insert(rng.randint(0, len(self.funcs)), self.make_func())
            else:
                del self.funcs[rng.randrange(len(self.funcs))]
        # Keep files at a few KiB.
        while sum(len(b) for _, b in self.funcs) > 200:
            del self.funcs[rng.randrange(len(self.funcs))]

    def render(self):
        parts = [self.header, "\n"]
        if self.lang == "rs":
            ty = self.path.rsplit("/", 1)[-1].split(".")[0].title().replace("_", "")
            parts.append(f"pub struct {ty} {{\n    inner: HashMap<String, u64>,\n}}\n\nimpl {ty} {{\n")
            for sig, body in self.funcs:
                parts.append("    " + sig + "\n" + "".join("        " + s + "\n" for s in body) + "    }\n\n")
            parts.append("}\n")
        elif self.lang == "py":
            parts.append(f"\n\nclass {camel(self.path.rsplit('/', 1)[-1].split('.')[0]).capitalize()}:\n")
            for sig, body in self.funcs:
                parts.append(sig + "\n" + "".join("        " + s + "\n" for s in body) + "\n")
        else:
            parts.append(f"\nexport class {camel(self.path.rsplit('/', 1)[-1].split('.')[0]).capitalize()} {{\n")
            for sig, body in self.funcs:
                parts.append(sig + "\n" + "".join("    " + s + "\n" for s in body) + "  }\n\n")
            parts.append("}\n")
        return "".join(parts).encode()


# ---------------------------------------------------------------- credentials
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
PREFIX = "AK" + "IA"


def ascending(s):
    return sum(1 for a, b in zip(s, s[1:]) if ord(b) == ord(a) + 1)


def key_id():
    while True:
        body = rng.choice("QRSTUVWXYZ234567") + "".join(rng.choice(B32) for _ in range(15))
        if len(set(body)) > 2 and ascending(body) < 10:
            return PREFIX + body


def secret():
    while True:
        s = "".join(rng.choice(B64) for _ in range(40))
        if (any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s)
                and not all(c in "0123456789abcdefABCDEF" for c in s) and ascending(s) < 12):
            return s


planted = []  # (key id, branch, path)


def plant(branch, path, profiles):
    """An INI credentials file with one fresh key pair per profile."""
    text = ""
    for name in profiles:
        kid = key_id()
        planted.append((kid, branch, path))
        text += (f"[{name}]\naws_access_key_id = {kid}\naws_secret_access_key = {secret()}\n"
                 f"region = {rng.choice(['us-east-1', 'eu-west-1', 'ap-southeast-2'])}\n\n")
    return text.encode()


# ---------------------------------------------------------------- stream helpers
clock = 1_500_000_000  # 2017-07-14
mark = 0


def tick():
    global clock
    clock += rng.randint(600, 7200)
    return clock


def data(b):
    w(b"data %d\n" % len(b))
    w(b)
    w(b"\n")


def commit(ref, msg, changes, parent=None, merge=None, who=None):
    """changes: list of (path, bytes or None for delete). Returns the commit's mark."""
    global mark
    mark += 1
    name, email = who or rng.choice(PEOPLE)
    t = tick()
    w(f"commit {ref}\nmark :{mark}\n".encode())
    w(f"author {name} <{email}> {t} +0000\ncommitter {name} <{email}> {t} +0000\n".encode())
    data(msg.encode())
    if parent:
        w(f"from :{parent}\n".encode())
    if merge:
        w(f"merge :{merge}\n".encode())
    for path, content in changes:
        if content is None:
            w(f"D {path}\n".encode())
        else:
            w(f"M 100644 inline {path}\n".encode())
            data(content)
    w(b"\n")
    return mark


def message(paths):
    p = rng.choice(paths)
    mod = p.rsplit("/", 1)[-1].split(".")[0].replace("_", " ")
    subj = rng.choice([f"Fix {words(1, 3)} in {mod}", f"{rng.choice(VERBS).capitalize()} {mod} {rng.choice(WORDS)}",
                       f"Refactor {mod}", f"Handle {rng.choice(ERRORS).lower()} errors in {mod}",
                       f"{p.split('/')[1]}: {words(2, 6)}", f"Speed up {rng.choice(WORDS)} {rng.choice(VERBS)}"])
    if rng.random() < 0.4:
        subj += "\n\n" + words(8, 30).capitalize() + ".\n"
    return subj + "\n"


# ---------------------------------------------------------------- the history
exts = ["rs"] * 5 + ["py"] * 3 + ["ts"] * 2
files = []
seen_paths = set()
for i in range(FILES):
    while True:
        lang = rng.choice(exts)
        area = AREAS[i % len(AREAS)] + ("" if i < len(AREAS) * 40 else str(i // (len(AREAS) * 40)))
        stem = rng.choice(VERBS if rng.random() < 0.3 else WORDS) + "_" + rng.choice(WORDS)
        path = f"src/{area}/{stem}.{lang}"
        if path not in seen_paths:
            seen_paths.add(path)
            break
    files.append(Source(path, lang))
hot = rng.sample(range(FILES), max(1, FILES // 7))

w(b"feature done\n")
changes = [(s.path, s.render()) for s in files]
changes.append(("README.md", b"# synthetic\n\nA generated repository for benchmarking history scans.\n"))
main_tip = commit("refs/heads/main", "Initial import\n", changes, who=PEOPLE[0])

# Schedules, by index on main's first-parent line (1 .. COMMITS-1).
n = COMMITS
plant_paths = ["config/credentials", ".aws/credentials", "deploy/staging/credentials",
               "deploy/production/credentials", "ops/ci/credentials", "config/credentials"]
plant_profiles = [["default"], ["default"], ["staging"], ["default", "production"], ["ci"], ["default"]]
actions = {}
for j, (path, profiles) in enumerate(zip(plant_paths, plant_profiles)):
    at = 1 + (n - 2) * (2 * j + 1) // 13
    gone = at + 1 + rng.randint(0, max(1, n // 100))
    actions.setdefault(at, []).append(("add", path, profiles))
    actions.setdefault(gone, []).append(("del", path, None))
wip_at = 1 + (n - 2) * 9 // 13 + 3
fork_every = max(12, n // 12)
tag_every = max(10, n // 20)

feature = None  # (mark, files dict path->Source copy, merge at index, name)
feature_no = 0
for i in range(1, n):
    msg = None
    changes = []
    merge_mark = None
    busy = set(feature[1]) if feature else set()
    for act, path, profiles in actions.get(i, []):
        if act == "add":
            changes.append((path, plant("main", path, profiles)))
            msg = rng.choice(["Add deploy configuration", "Configure AWS access for the release job",
                              "Add credentials for local testing", "WIP: ops config"]) + "\n"
        else:
            changes.append((path, None))
            msg = msg or rng.choice(["Remove credentials from the repository", "Drop committed secrets",
                                     "Delete deploy credentials (rotated)"]) + "\n"
    if feature and feature[2] == i:
        for path, src in feature[1].items():
            changes.append((path, src.render()))
        merge_mark = feature[0]
        msg = f"Merge branch '{feature[3]}'\n"
        for src in feature[1].values():
            files[src.idx] = src
        feature = None
        busy = set()
    # Ordinary edits (also in plant commits, never in merges).
    if merge_mark is None:
        k = rng.choice([1, 1, 1, 2, 2, 3, 4])
        picked = []
        for _ in range(k):
            idx = rng.choice(hot) if rng.random() < 0.6 else rng.randrange(FILES)
            if files[idx].path in busy or idx in picked:
                continue
            picked.append(idx)
        for idx in picked:
            files[idx].edit()
            changes.append((files[idx].path, files[idx].render()))
        if msg is None:
            if not changes:
                idx = next(x for x in range(FILES) if files[x].path not in busy)
                files[idx].edit()
                changes.append((files[idx].path, files[idx].render()))
            msg = message([c[0] for c in changes])
    main_tip = commit("refs/heads/main", msg, changes, merge=merge_mark)

    if i % tag_every == 0:
        v = f"v{i // tag_every // 10}.{i // tag_every % 10}.0"
        name, email = CI
        w(f"tag {v}\nfrom :{main_tip}\ntagger {name} <{email}> {clock} +0000\n".encode())
        data(f"Release {v}\n".encode())
        if (i // tag_every) % 4 == 0:
            w(f"reset refs/tags/{v}-lw\nfrom :{main_tip}\n\n".encode())

    if i == wip_at:
        # An unmerged branch: two ordinary commits, then credentials, never merged.
        import copy
        src = copy.deepcopy(files[rng.randrange(FILES)])
        src.edit()
        tip = commit("refs/heads/wip/local-ops", "Try local ops tooling\n", [(src.path, src.render())], parent=main_tip)
        src.edit()
        tip = commit("refs/heads/wip/local-ops", message([src.path]), [(src.path, src.render())])
        commit("refs/heads/wip/local-ops", "Add my credentials for the ops scripts\n",
               [("config/credentials", plant("wip/local-ops", "config/credentials", ["ops"]))])

    if feature is None and i % fork_every == fork_every // 2 and i + 8 < n:
        import copy
        feature_no += 1
        fname = f"feature/{rng.choice(VERBS)}-{rng.choice(WORDS)}-{feature_no}"
        own = {}
        tip = main_tip
        for c in range(rng.randint(2, 5)):
            idx = rng.choice(hot) if rng.random() < 0.5 else rng.randrange(FILES)
            if files[idx].path not in own:
                cp = copy.deepcopy(files[idx])
                cp.idx = idx
                own[cp.path] = cp
            src = own[files[idx].path]
            src.edit()
            tip = commit(f"refs/heads/{fname}", message([src.path]), [(src.path, src.render())],
                         parent=tip if c == 0 else None)
        # Merged back a few commits later (distinct from plant/delete commits).
        at = i + rng.randint(2, 6)
        while at in actions:
            at += 1
        feature = (tip, own, at, fname)

w(b"done\n")
out.flush()

with open(PLANTED, "w") as f:
    f.write("# key id\tbranch\tpath (generated by benches/synthetic-history.sh)\n")
    for k, branch, path in planted:
        f.write(f"{k}\t{branch}\t{path}\n")
PY

git -C "$OUT_DIR" repack -adf --depth=50 --window="${REPACK_WINDOW:-250}" -q
git -C "$OUT_DIR" prune-packed
git -C "$OUT_DIR" pack-refs --all

objects=$(git -C "$OUT_DIR" count-objects -v | awk '/^in-pack:/ {print $2}')
pack_kib=$(git -C "$OUT_DIR" count-objects -v | awk '/^size-pack:/ {print $2}')
planted=$(grep -vc '^#' "$PLANTED" || true)
echo "repository:  $OUT_DIR"
echo "main:        $(git -C "$OUT_DIR" rev-parse main) ($(git -C "$OUT_DIR" rev-list --count --first-parent main) first-parent commits)"
echo "refs:        $(git -C "$OUT_DIR" for-each-ref --format=x refs/heads | wc -l) branches, $(git -C "$OUT_DIR" for-each-ref --format=x refs/tags | wc -l) tags"
echo "objects:     $objects ($(git -C "$OUT_DIR" rev-list --all --objects | wc -l) reachable)"
echo "pack size:   $(awk -v k="$pack_kib" 'BEGIN {printf "%.1f MiB", k / 1024}')"
echo "planted:     $planted credential pairs (key IDs in $PLANTED)"
echo "took:        $(($(date +%s) - start)) s"
