# The Debian kernel: downloaded once with apt-get download, unpacked with dpkg -x into $E2E_CACHE.
# Nothing is installed on the host. Source, do not run.

# kernel_fetch: makes sure $E2E_CACHE/kernel/<package> holds the unpacked package; sets
#   KERNEL_VERSION  (e.g. 6.1.0-56-amd64)
#   KERNEL_IMAGE    (path to vmlinuz)
#   KERNEL_MODULES  (path to lib/modules/$KERNEL_VERSION)
# The package is the one linux-image-amd64 depends on today, unless E2E_KERNEL_PACKAGE names one;
# an already unpacked package in the cache is reused without asking apt.
kernel_fetch() {
  local pkg=${E2E_KERNEL_PACKAGE:-}
  mkdir -p "$E2E_CACHE/kernel"
  if [ -z "$pkg" ]; then
    # Reuse whatever is cached; ask apt only on a cold cache.
    pkg=$(cd "$E2E_CACHE/kernel" && ls -d linux-image-*-amd64 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$pkg" ] || [ ! -f "$E2E_CACHE/kernel/$pkg/.complete" ]; then
      pkg=$(apt-cache depends linux-image-amd64 2>/dev/null \
              | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
      [ -n "$pkg" ] || e2e_die "apt-cache depends linux-image-amd64 names no kernel package (apt-get update?)"
    fi
  fi
  local dir="$E2E_CACHE/kernel/$pkg"
  if [ ! -f "$dir/.complete" ]; then
    e2e_log "fetching $pkg into $dir"
    local tmp
    tmp=$(mktemp -d "$E2E_CACHE/kernel/.fetch.XXXXXX")
    chmod 755 "$tmp"   # apt-get download drops privileges to _apt where it can
    (cd "$tmp" && apt-get download "$pkg" >/dev/null) || { rm -rf "$tmp"; e2e_die "apt-get download $pkg failed"; }
    dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/root" || { rm -rf "$tmp"; e2e_die "dpkg -x failed"; }
    rm -rf "$dir"
    mv "$tmp/root" "$dir"
    rm -rf "$tmp"
    touch "$dir/.complete"
  fi
  KERNEL_VERSION=${pkg#linux-image-}
  KERNEL_IMAGE="$dir/boot/vmlinuz-$KERNEL_VERSION"
  KERNEL_MODULES="$dir/lib/modules/$KERNEL_VERSION"
  [ -f "$KERNEL_IMAGE" ] && [ -d "$KERNEL_MODULES" ] || e2e_die "$dir does not look like an unpacked kernel package"
}
