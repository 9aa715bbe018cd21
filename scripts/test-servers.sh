#!/usr/bin/env bash
# Real test servers without Docker: one Apache Kafka KRaft broker and a MongoDB wire-protocol
# stand-in (mongo-java-server, in memory), both run from Maven Central jars cached locally.
#
#   scripts/test-servers.sh start  [kafka|mongo]   start (idempotent) and wait until ready
#   scripts/test-servers.sh stop   [kafka|mongo]   stop; with no argument also removes all data
#   scripts/test-servers.sh clean  [kafka|mongo]   stop and remove data
#   scripts/test-servers.sh status [kafka|mongo]   exit 0 only if all named servers run
#   scripts/test-servers.sh pause|resume kafka|mongo  freeze/unfreeze a server (SIGSTOP/SIGCONT):
#                                                  an unresponsive server that keeps its data
#   scripts/test-servers.sh env                    eval "$(scripts/test-servers.sh env)"
#   scripts/test-servers.sh kafka-admin list|create|delete [topic] [partitions]
#
# `stop kafka` keeps the broker's data so that `start kafka` resumes it (fault-tolerance tests).
# Env: KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093), MONGO_PORT (27027),
#      KEYHOLD_TEST_SERVERS_CACHE, KEYHOLD_TEST_SERVERS_DIR, KEYHOLD_TEST_SERVERS_TIMEOUT (60 s).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/test-servers"
CACHE="${KEYHOLD_TEST_SERVERS_CACHE:-$HOME/.cache/keyhold-test-servers}"
RUN="${KEYHOLD_TEST_SERVERS_DIR:-/tmp/keyhold-test-servers}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
MONGO_PORT="${MONGO_PORT:-27027}"
TIMEOUT="${KEYHOLD_TEST_SERVERS_TIMEOUT:-60}"
# 128 MB heap needs log.cleaner.dedupe.buffer.size lowered (see server.properties below).
KAFKA_JVM=(-Xmx128m -Xms128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MaxMetaspaceSize=128m
  -Djava.awt.headless=true -Dlog4j2.level=INFO -Dlog4j2.shutdownHookEnabled=false) # else the log ends mid-shutdown
MONGO_JVM=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dorg.slf4j.simpleLogger.showDateTime=true)
TOOL_JVM=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1)
# Marks our JVMs so a recycled pid from a stale pid file is never mistaken for a server.
MARK=-Dkeyhold.test.server

log() { echo "[test-servers] $*" >&2; }
die() { log "ERROR: $1"; exit "${2:-1}"; }
need() {
  command -v "$1" >/dev/null ||
    die "'$1' is required but not on PATH: install a JDK 17+ (java, javac) and Maven (mvn), e.g. apt-get install openjdk-17-jdk-headless maven" 3
}
# A dead server stays a zombie until pid 1 reaps it (1-2 s here), and kill -0 still succeeds on it.
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $s != Z* ]]; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_of() { # prints the pid of a running server, fails otherwise
  local f="$RUN/$1.pid" p
  [[ -s $f ]] && p=$(<"$f") && ps -p "$p" -o args= 2>/dev/null | grep -q -- "$MARK=$1" && echo "$p"
}

# Jars are keyed by the pom's hash, so editing a pom re-fetches; a failed fetch leaves no partial cache.
fetch_libs() {
  local dir tmp
  dir="$CACHE/$1-$(sha256sum <"$HERE/$1-pom.xml" | cut -c1-12)"
  if [[ ! -f $dir/.complete ]]; then
    need mvn
    log "fetching $1 jars from Maven Central into $dir"
    mkdir -p "$CACHE" && tmp=$(mktemp -d "$CACHE/.fetch-XXXXXX")
    cp "$HERE/$1-pom.xml" "$tmp/pom.xml"
    if ! (cd "$tmp" && mvn -B -q dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$tmp/libs" >"$tmp/mvn.log" 2>&1); then
      tail -n 30 "$tmp/mvn.log" >&2
      rm -rf "$tmp"
      die "mvn could not fetch the $1 jars (Maven Central reachable? ~/.m2 writable?)"
    fi
    rm -rf "$dir" && mkdir -p "$dir" && mv "$tmp/libs" "$dir/libs" && rm -rf "$tmp" && touch "$dir/.complete"
  fi
  echo "$dir"
}

compile() { # <libs dir> <java file>: prints the class dir, keyed by the source's hash
  local dir tmp
  dir="$1/classes-$(sha256sum <"$HERE/$2" | cut -c1-12)"
  if [[ ! -d $dir ]]; then
    need javac
    tmp=$(mktemp -d "$1/.javac-XXXXXX")
    javac -nowarn -cp "$1/libs/*" -d "$tmp" "$HERE/$2" || { rm -rf "$tmp"; die "javac failed on $2"; }
    mv "$tmp" "$dir"
  fi
  echo "$dir"
}

launch() { # <name> <log> <cmd...>: detached (own session) so the caller's Ctrl-C or exit leaves it alone
  local name=$1 logf=$2 i
  shift 2
  rm -f "$RUN/$name.pid"
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$RUN/$name.pid" "$@" </dev/null >>"$logf" 2>&1 9>&- &
  for ((i = 0; i < 50; i++)); do [[ -s $RUN/$name.pid ]] && break; sleep 0.1; done
  [[ -s $RUN/$name.pid ]] || die "could not launch $name (see $logf)"
  cat "$RUN/$name.pid"
}

give_up() { # <name> <log> <why>
  log "$1 log of this run, last 40 lines ($2):"
  awk '/^===== .* start =====$/ { n = 0 } { l[n++] = $0 } END { for (i = 0; i < n; i++) print l[i] }' "$2" |
    tail -n 40 | cut -c1-400 | sed 's/^/    /' >&2
  stop_one "$1"
  die "$1 did not come up: $3"
}

check_ports() {
  local p
  for p in "$@"; do port_open "$p" && die "127.0.0.1:$p is already in use by another process"; done
  return 0
}

start_kafka() {
  local pid libs cls d="$RUN/kafka" cid t0=$SECONDS
  if pid=$(pid_of kafka); then log "kafka already running (pid $pid)"; return; fi
  need java
  libs=$(fetch_libs kafka)
  cls=$(compile "$libs" KafkaCheck.java)
  # The standalone controller's endpoint is written into the metadata log at format time.
  if [[ -f $d/ports && $(<"$d/ports") != "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ]]; then
    die "kafka data in $d belongs to ports $(<"$d/ports"); run '$0 clean kafka' to change ports"
  fi
  check_ports "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
  mkdir -p "$d/data"
  echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" >"$d/ports"
  cat >"$d/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$d/data
num.partitions=1
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
log.cleaner.dedupe.buffer.size=8388608
EOF
  if [[ ! -f $d/data/meta.properties ]]; then
    # Kafka's Uuid text form: 16 random bytes, base64url, unpadded, not starting with '-'.
    cid=-
    while [[ $cid == -* ]]; do cid=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='); done
    log "formatting fresh kafka storage in $d/data (cluster id $cid)"
    java "${TOOL_JVM[@]}" -cp "$libs/libs/*" kafka.tools.StorageTool format -t "$cid" \
      -c "$d/server.properties" --standalone >"$d/format.log" 2>&1 ||
      { cat "$d/format.log" >&2; die "kafka storage format failed"; }
  fi
  echo "===== $(date -Is) start =====" >>"$d/kafka.log"
  pid=$(launch kafka "$d/kafka.log" java "${KAFKA_JVM[@]}" "$MARK=kafka" -cp "$libs/libs/*" \
    kafka.Kafka "$d/server.properties")
  log "kafka started (pid $pid), waiting for a topic round trip and a group join (timeout ${TIMEOUT}s)"
  java "${TOOL_JVM[@]}" -cp "$cls:$libs/libs/*" KafkaCheck ready "127.0.0.1:$KAFKA_PORT" "$TIMEOUT" "$pid" \
    >"$d/check.log" 2>&1 || give_up kafka "$d/kafka.log" "$(tail -n 1 "$d/check.log")"
  log "kafka ready on 127.0.0.1:$KAFKA_PORT in $((SECONDS - t0)) s"
}

start_mongo() {
  local pid libs cls d="$RUN/mongo" t0=$SECONDS deadline=$((SECONDS + TIMEOUT))
  if pid=$(pid_of mongo); then log "mongo already running (pid $pid)"; return; fi
  need java
  libs=$(fetch_libs mongo)
  cls=$(compile "$libs" MongoServerMain.java)
  check_ports "$MONGO_PORT"
  mkdir -p "$d"
  echo "$MONGO_PORT" >"$d/port"
  : >"$d/mongo.log" # the ready line below must come from this run
  pid=$(launch mongo "$d/mongo.log" java "${MONGO_JVM[@]}" "$MARK=mongo" -cp "$cls:$libs/libs/*" \
    MongoServerMain 127.0.0.1 "$MONGO_PORT")
  log "mongo started (pid $pid), waiting for it (timeout ${TIMEOUT}s)"
  until grep -q '^keyhold-mongo ready' "$d/mongo.log" && port_open "$MONGO_PORT"; do
    alive "$pid" || give_up mongo "$d/mongo.log" "process exited"
    ((SECONDS < deadline)) || give_up mongo "$d/mongo.log" "timed out after ${TIMEOUT}s"
    sleep 0.1
  done
  log "mongo ready on 127.0.0.1:$MONGO_PORT in $((SECONDS - t0)) s"
}

stop_one() {
  local pid i
  if pid=$(pid_of "$1"); then
    log "stopping $1 (pid $pid)"
    kill "$pid" 2>/dev/null || true
    # Kafka shuts down cleanly in a few seconds; a hung JVM must not hang the test run.
    for ((i = 0; i < 300; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      log "$1 still alive after 30 s: SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
      while alive "$pid"; do sleep 0.1; done
    fi
  else
    log "$1 is not running"
  fi
  rm -f "$RUN/$1.pid"
}

clean_one() {
  stop_one "$1"
  rm -rf "${RUN:?}/$1"
  log "removed $1 data"
}

status_one() {
  local pid
  if pid=$(pid_of "$1"); then echo "$1: running (pid $pid)"; else echo "$1: stopped"; return 1; fi
}

print_env() {
  local kp=$KAFKA_PORT mp=$MONGO_PORT
  # Report the ports the running servers were started with, not this shell's defaults.
  [[ -f $RUN/kafka/ports ]] && read -r kp _ <"$RUN/kafka/ports"
  [[ -f $RUN/mongo/port ]] && read -r mp <"$RUN/mongo/port"
  echo "export KAFKA_BROKERS=127.0.0.1:$kp"
  echo "export MONGO_URL=mongodb://127.0.0.1:$mp"
}

kafka_admin() {
  local libs kp=$KAFKA_PORT
  [[ -f $RUN/kafka/ports ]] && read -r kp _ <"$RUN/kafka/ports"
  need java
  libs=$(fetch_libs kafka)
  exec java "${TOOL_JVM[@]}" -cp "$(compile "$libs" KafkaCheck.java):$libs/libs/*" KafkaCheck \
    "${1:?usage: kafka-admin list|create|delete [topic] [partitions]}" "127.0.0.1:$kp" "${@:2}"
}

cmd=${1:-}
[[ $cmd == kafka-admin ]] && kafka_admin "${@:2}"
what=${2:-all}
case $what in all) names=(kafka mongo) ;; kafka | mongo) names=("$what") ;; *) cmd=usage ;; esac

if [[ $cmd == start || $cmd == stop || $cmd == clean ]]; then
  # Parallel test workers may all call `start`: serialize them (servers get fd 9 closed).
  mkdir -p "$RUN"
  exec 9>"$RUN.start-stop.lock"
  flock -w $((TIMEOUT + 60)) 9 || die "another test-servers.sh still holds $RUN.start-stop.lock"
fi

case $cmd in
  start) for n in "${names[@]}"; do "start_$n"; done ;;
  stop | clean)
    if [[ $cmd == stop && $what != all ]]; then stop_one "$what"; else
      for n in "${names[@]}"; do clean_one "$n"; done
      rmdir "$RUN" 2>/dev/null || true
    fi
    ;;
  status)
    rc=0
    for n in "${names[@]}"; do status_one "$n" || rc=1; done
    exit $rc
    ;;
  pause | resume)
    [[ $what != all ]] || die "name the server to $cmd: kafka or mongo" 64
    pid=$(pid_of "$what") || die "$what is not running"
    kill "-$([[ $cmd == pause ]] && echo STOP || echo CONT)" "$pid"
    log "$what ${cmd}d (pid $pid)"
    ;;
  env) print_env ;;
  *)
    sed -n '2,16s/^# \{0,1\}//p' "$0" >&2
    exit 64
    ;;
esac
