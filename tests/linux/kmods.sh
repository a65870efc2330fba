#!/bin/sh
# kmods.sh DEB DIR MODULE... — extracts the modules of Debian's linux-image package DEB into DIR
# and resolves what MODULE... need: each module's dependencies come from the "depends=" entry of
# its own .modinfo section (what depmod writes into modules.dep, which the package does not ship:
# it is generated at installation).  Writes the load order, dependencies first, as the first
# line of DIR/order, and prints mkinitramfs.sh --add options that put each at /lib/modules/NAME.ko.
# Example: kmods.sh linux-image-6.1.0-N-amd64_*.deb DIR bochs
#   -> drm drm_kms_helper ttm drm_ttm_helper drm_vram_helper bochs
set -eu
[ $# -ge 3 ] || { echo "usage: kmods.sh DEB DIR MODULE..." >&2; exit 2; }
deb=$1
dir=$2
shift 2
mkdir -p "$dir"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards './lib/modules/*.ko'

# The file of a module; module names use '_' and '-' interchangeably, as modprobe does.
kofile() {
    f=$(find "$dir/lib/modules" \( -name "$1.ko" -o -name "$(echo "$1" | tr _ -).ko" \
        -o -name "$(echo "$1" | tr - _).ko" \) | head -n 1)
    [ -n "$f" ] || { echo "kmods.sh: module $1 not in $deb" >&2; exit 1; }
    echo "$f"
}

order=""
# visit MODULE: appends MODULE's dependencies, then MODULE, to $order (each once).
visit() {
    case " $order " in *" $1 "*) return 0 ;; esac
    # shellcheck disable=SC2046
    set -- "$1" $(tr '\0' '\n' <"$(kofile "$1")" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
    for d in "$@"; do [ "$d" = "$1" ] || visit "$d"; done
    order="$order $1"   # $1 is still this call's module: each call has its own arguments
}
for m in "$@"; do visit "$m"; done
echo "${order# }" >"$dir/order"
for m in $order; do
    printf ' --add %s=/lib/modules/%s.ko' "$(kofile "$m")" "$m"
done
