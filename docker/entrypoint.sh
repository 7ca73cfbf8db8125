#!/bin/sh
# The image's entrypoint (DESIGN §3 "Commands"):
#   (no arguments)           shoal daemon: the node's global service
#   bootstrap SECRET NAME    the daemon with namespace NAME joined with SECRET (a sidekick:
#                            run it, then `--volumes-from` it in the app container)
#   daemon | --version | -…  passed to shoal
#   ctl ARGS…                the CLI (same as `docker exec CONTAINER ctl ARGS…` on a running one)
#   anything else            run as a command (`docker run -it shoal sh`)
#
# Every branch execs, so the daemon is PID 1 and gets SIGTERM directly (it closes within seconds).
set -eu

case "${1-}" in
  '')
    exec shoal daemon ;;
  daemon | help | -*)
    exec shoal "$@" ;;
  bootstrap)
    if [ "$#" -ne 3 ]; then
      echo "usage: bootstrap SECRET NAME   (run the daemon with namespace NAME joined with SECRET)" >&2
      exit 2
    fi
    exec shoal bootstrap "$2" "$3" ;;
  ctl)
    shift
    exec ctl "$@" ;;
  *)
    exec "$@" ;;
esac
