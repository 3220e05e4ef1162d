# Sourced by the example tests (POSIX sh): waits until a server started in
# the background prints "listening on HOST:PORT" into its log, then sets
# `port`. Gives up, showing the log, when the server exits first or after
# TRIES checks 50 ms apart.
#   wait_listening LOG PID WHAT [TRIES]    (TRIES: 200, i.e. 10 s)
wait_listening() {
  _log=$1 _pid=$2 _what=$3 _tries=${4:-200}
  _i=0
  until grep -q "^listening on" "$_log"; do
    _i=$((_i + 1))
    if [ "$_i" -gt "$_tries" ] || ! kill -0 "$_pid" 2>/dev/null; then
      echo "$_what did not start:" >&2
      cat "$_log" >&2
      exit 1
    fi
    sleep 0.05
  done
  port=$(sed -n 's/^listening on [^:]*:\([0-9]*\).*/\1/p' "$_log")
}
