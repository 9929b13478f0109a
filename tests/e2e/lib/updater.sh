# The updater as it ships: NativeAOT-published from this checkout. Source after common.sh.

# updater_publish OUTDIR: dotnet publish of src/Updater into OUTDIR (replaced).
updater_publish() {
  local out=$1
  rm -rf "$out"
  mkdir -p "$(dirname "$out")"
  e2e_log "publishing src/Updater (NativeAOT) into $out"
  nice dotnet publish "$E2E_REPO/src/Updater" -c Release -r linux-x64 -p:PublishAot=true -o "$out" \
    -nologo -v quiet > "$out.log" 2>&1 || { cat "$out.log" >&2; e2e_die "dotnet publish failed"; }
  [ -x "$out/updater" ] || e2e_die "publish produced no $out/updater"
}
