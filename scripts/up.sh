#!/usr/bin/env bash
# `npm run up`: prepares the checkout and runs a one-process cluster in the foreground
# (`skiff server`; arguments are passed on, e.g. `npm run up -- --https-port 7443`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"

if [ "$(id -u)" -eq 0 ]; then
  data_dir="${SKIFF_DATA_DIR:-/var/lib/skiff}"
else
  data_dir="${SKIFF_DATA_DIR:-$HOME/.skiff}"
fi
# A --data-dir / --write-kubeconfig on the command line wins over the defaults.
kubeconfig="${SKIFF_WRITE_KUBECONFIG:-}"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --data-dir) data_dir="${args[$((i + 1))]:-$data_dir}" ;;
    --data-dir=*) data_dir="${args[$i]#--data-dir=}" ;;
    --write-kubeconfig) kubeconfig="${args[$((i + 1))]:-}" ;;
    --write-kubeconfig=*) kubeconfig="${args[$i]#--write-kubeconfig=}" ;;
  esac
done
kubeconfig="${kubeconfig:-$data_dir/kubeconfig.yaml}"

cat >&2 <<MSG
skiff: starting the server (data in $data_dir; Ctrl-C stops it). In another shell:

    export KUBECONFIG=$kubeconfig
    kubectl get nodes

MSG

exec "$ROOT/bin/skiff" server "$@"
