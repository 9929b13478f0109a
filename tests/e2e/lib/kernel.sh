# SPDX-License-Identifier: Apache-2.0
# The Debian kernel: downloaded once with apt-get download, unpacked with dpkg -x into $E2E_CACHE.
# Nothing is installed on the host. Source, do not run.

# _kernel_package_name: the kernel package Debian's linux-image-amd64 points to today.
_kernel_package_name() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ && !f { print $2; f = 1 }'
}

# kernel_fetch: makes sure the kernel package is unpacked in the cache; sets
#   KERNEL_VERSION  (e.g. 6.1.0-56-amd64)
#   KERNEL_IMAGE    (path to vmlinuz)
#   KERNEL_MODULES  (path to lib/modules/$KERNEL_VERSION)
# Cache layout: $E2E_CACHE/kernel/<package>.deb (70 MB, what CI needs to keep) and
# $E2E_CACHE/kernel/<package>/ (the dpkg -x tree, remade from the .deb in seconds when missing).
# The package is E2E_KERNEL_PACKAGE, else the newest one in the cache, else the one Debian's
# linux-image-amd64 depends on today (apt is asked only on a cold cache).
kernel_fetch() {
  local cache="$E2E_CACHE/kernel" pkg=${E2E_KERNEL_PACKAGE:-} tmp deb
  mkdir -p "$cache"
  if [ -z "$pkg" ]; then
    pkg=$(cd "$cache" && ls -d linux-image-*-amd64 linux-image-*-amd64.deb 2>/dev/null \
            | sed 's/\.deb$//' | sort -uV | sed -n '$p' || true)
  fi
  if [ -z "$pkg" ]; then
    pkg=$(_kernel_package_name)
    if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
      apt-get update -qq >/dev/null 2>&1 || true
      pkg=$(_kernel_package_name)
    fi
    [ -n "$pkg" ] || e2e_die "apt-cache depends linux-image-amd64 names no kernel package (apt-get update?)"
  fi
  local dir="$cache/$pkg"
  deb="$cache/$pkg.deb"
  if [ ! -f "$dir/.complete" ]; then
    if [ ! -s "$deb" ]; then
      e2e_log "downloading $pkg into $cache"
      tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
      (cd "$tmp" && apt-get download "$pkg" > "$tmp/download.log" 2>&1) \
        || { cat "$tmp/download.log" >&2; rm -rf "$tmp"; e2e_die "apt-get download $pkg failed"; }
      mv "$tmp"/"$pkg"_*.deb "$deb"
      rm -rf "$tmp"
    fi
    e2e_log "unpacking $deb"
    tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
    dpkg -x "$deb" "$tmp" || { rm -rf "$tmp"; e2e_die "dpkg -x $deb failed"; }
    rm -rf "$dir"
    mv "$tmp" "$dir"
    touch "$dir/.complete"
  fi
  KERNEL_VERSION=${pkg#linux-image-}
  KERNEL_IMAGE="$dir/boot/vmlinuz-$KERNEL_VERSION"
  KERNEL_MODULES="$dir/lib/modules/$KERNEL_VERSION"
  [ -f "$KERNEL_IMAGE" ] && [ -d "$KERNEL_MODULES" ] || e2e_die "$dir does not look like an unpacked kernel package"
}
