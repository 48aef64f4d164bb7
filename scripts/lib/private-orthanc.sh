# Sourced by scripts: a private Orthanc PACS with its DICOMweb plugin, in a
# temporary folder, answering loopback clients only, on free ports.
# `private_orthanc_start` sets ORTHANC_URL (REST) and DICOMWEB_URL; an EXIT
# trap (set by the caller) must call `private_orthanc_stop`. Needs free_port
# (scripts/lib/private-postgres.sh).
private_orthanc_start() {
  ORTHANC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/radbridge-orthanc.XXXXXX")
  local http_port dicom_port
  http_port=$(free_port)
  dicom_port=$(free_port)
  cat >"$ORTHANC_DIR/orthanc.json" <<JSON
{
  "Name": "radbridge-demo",
  "StorageDirectory": "$ORTHANC_DIR/storage",
  "IndexDirectory": "$ORTHANC_DIR/storage",
  "HttpPort": $http_port,
  "DicomPort": $dicom_port,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "Plugins": ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"],
  "DicomWeb": {"Enable": true, "Root": "/dicom-web/"}
}
JSON
  /usr/sbin/Orthanc "$ORTHANC_DIR/orthanc.json" >"$ORTHANC_DIR/orthanc.log" 2>&1 &
  ORTHANC_PID=$!
  ORTHANC_URL="http://127.0.0.1:$http_port"
  DICOMWEB_URL="$ORTHANC_URL/dicom-web"
  for _ in $(seq 300); do
    curl -sf "$ORTHANC_URL/system" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "private-orthanc: Orthanc did not answer within 30 s:" >&2
  tail -n 20 "$ORTHANC_DIR/orthanc.log" >&2
  return 1
}

# Uploads every DICOM file under a folder (REST POST /instances); prints the count.
private_orthanc_upload() {
  local count=0 f
  while IFS= read -r -d '' f; do
    curl -sf -X POST -H 'Content-Type: application/dicom' --data-binary "@$f" "$ORTHANC_URL/instances" >/dev/null
    count=$((count + 1))
  done < <(find "$1" -name '*.dcm' -print0 | sort -z)
  echo "$count"
}

private_orthanc_stop() {
  [[ -n ${ORTHANC_PID:-} ]] && kill "$ORTHANC_PID" 2>/dev/null && wait "$ORTHANC_PID" 2>/dev/null || true
  [[ -n ${ORTHANC_DIR:-} && -d $ORTHANC_DIR ]] && rm -rf "$ORTHANC_DIR"
  ORTHANC_PID=
}
