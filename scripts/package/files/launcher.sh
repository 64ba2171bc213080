#!/bin/sh
# @NAME@: @TITLE@, run on the Node.js runtime shipped beside it. The host needs no Node.js, npm or
# node_modules. A symbolic link to this file (/usr/bin/@NAME@ of the .deb) works too: it finds its real place first.
self=$(readlink -f -- "$0") || exit 6
home=${self%/bin/*}
@ENV@exec "$home/lib/node" "$home/lib/@NAME@.mjs" "$@"
