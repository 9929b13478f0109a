# The updater as it ships: NativeAOT-published from this checkout. Source after common.sh.

# updater_publish OUTDIR: the NativeAOT publish of src/Updater in OUTDIR, made by tests/publish-aot.sh, which the
# container tests use too: republished only when a source is newer than the last publish into OUTDIR.
updater_publish() {
  local out=$1
  mkdir -p "$(dirname "$out")"
  e2e_log "publishing src/Updater (NativeAOT) into $out"
  bash "$E2E_REPO/tests/publish-aot.sh" "$out" > "$out.log" 2>&1 || { cat "$out.log" >&2; e2e_die "dotnet publish failed"; }
  [ -x "$out/updater" ] || e2e_die "publish produced no $out/updater"
}
