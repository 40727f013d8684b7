#!/usr/bin/env bash
# Run a real single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1
# for development and tests, without Docker and without a Kafka tarball: the
# broker jars come from Maven Central (via mvn) into a cache, once.
#
# Usage:
#   scripts/kafka-local.sh start     # prints "bootstrap=127.0.0.1:PORT" as its last stdout line
#   scripts/kafka-local.sh stop      # SIGTERM, wait, SIGKILL; exit 0 if not running
#   scripts/kafka-local.sh restart   # stop + start, same port and data
#   scripts/kafka-local.sh kill      # SIGKILL (crash), keeps port and data; 'start' recovers
#   scripts/kafka-local.sh status    # exit 0 and print bootstrap line if running, exit 3 if not
#   scripts/kafka-local.sh fetch     # only download the jars into the cache
#   scripts/kafka-local.sh topics ARGS...   # org.apache.kafka.tools.TopicCommand against the broker
#   scripts/kafka-local.sh logs      # tail the broker log
#   scripts/kafka-local.sh clean     # stop and delete the state dir (port, cluster id, data)
#
# Environment:
#   ECOMSTREAM_CACHE      jar cache root (default: $REPO/.cache)      -> $ECOMSTREAM_CACHE/kafka/<version>/libs
#   ECOMSTREAM_KAFKA_DIR  state dir (default: $REPO/.cache/kafka-run): config, data, logs, pid, ports
#   KAFKA_VERSION         org.apache.kafka:kafka_2.13 version (default 4.1.1)
#   KAFKA_PORT            force the PLAINTEXT listener port (default: reuse stored one, else a free port)
#   KAFKA_CONTROLLER_PORT force the KRaft controller port (same rules)
#   KAFKA_HEAP_OPTS       default "-Xmx512m -Xms256m"
#   KAFKA_START_TIMEOUT   seconds to wait for the broker to answer (default 120)
#   KAFKA_STOP_TIMEOUT    seconds to wait after SIGTERM before SIGKILL (default 30)
#   KAFKA_AUTO_CREATE_TOPICS  true|false (default true)
#   KAFKA_MVN_ARGS        extra mvn arguments for the fetch (e.g. -Dmaven.repo.local=...)
#
# Progress and errors go to stderr; stdout carries only the bootstrap line.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
LOG4J_VERSION="${KAFKA_LOG4J_VERSION:-2.24.3}"
CACHE_ROOT="${ECOMSTREAM_CACHE:-$REPO/.cache}"
LIBS="$CACHE_ROOT/kafka/$KAFKA_VERSION/libs"
STATE="${ECOMSTREAM_KAFKA_DIR:-$REPO/.cache/kafka-run}"
HOST=127.0.0.1
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

PID_FILE="$STATE/kafka.pid"
OUT_FILE="$STATE/kafka.out"
LOG_DIR="$STATE/logs"
DATA_DIR="$STATE/data"
CONFIG="$STATE/server.properties"

log() { echo "kafka-local: $*" >&2; }
die() { echo "kafka-local: ERROR: $*" >&2; exit 1; }

need_python() {
  command -v python3 >/dev/null 2>&1 || die "python3 is required (port picking and readiness check)"
}

# Install java/mvn from Debian if they are missing and we can (root + apt-get).
ensure_tools() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
      log "installing ${missing[*]} with apt-get"
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    else
      die "missing ${missing[*]}: install a Java 17+ JRE and Apache Maven (e.g. apt-get install openjdk-17-jre-headless maven)"
    fi
  fi
  local major
  major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  [[ -n "$major" && "$major" -ge 17 ]] || die "Kafka $KAFKA_VERSION needs Java 17+, found: $(java -version 2>&1 | head -1)"
}

# Download kafka_2.13 (+ kafka-tools for TopicCommand, + log4j2 backend) with
# all runtime dependencies into $LIBS, once (marker file), under a lock.
fetch() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  ensure_tools
  mkdir -p "$(dirname "$LIBS")"
  exec 8>"$(dirname "$LIBS")/.fetch.lock"
  flock 8
  if [[ -f "$LIBS/.complete" ]]; then exec 8>&-; return 0; fi
  local work
  work="$(mktemp -d "$(dirname "$LIBS")/.fetch.XXXXXX")"
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ecomstream.local</groupId>
  <artifactId>kafka-local-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <!-- TopicCommand & co; Kafka Connect is not needed here -->
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
        <exclusion><groupId>com.fasterxml.jackson.jakarta.rs</groupId><artifactId>jackson-jakarta-rs-json-provider</artifactId></exclusion>
      </exclusions>
    </dependency>
    <!-- Kafka 4 logs through slf4j 1.7 -> log4j2 -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  log "fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and dependencies with Maven into $LIBS"
  # shellcheck disable=SC2086
  if ! (cd "$work" && mvn -q -B ${KAFKA_MVN_ARGS:-} dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$work/libs" >"$work/mvn.log" 2>&1); then
    cat "$work/mvn.log" >&2
    rm -rf "$work"
    die "Maven could not fetch Kafka $KAFKA_VERSION (is it a published 4.x version?)"
  fi
  [[ -f "$work/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"
  rm -rf "$LIBS"
  mv "$work/libs" "$LIBS"
  cp "$work/pom.xml" "$LIBS/.pom.xml"
  rm -rf "$work"
  touch "$LIBS/.complete"
  exec 8>&-
  log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars"
}

pid_alive() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # guard against pid reuse: must be our java with our config
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$CONFIG" || return 1
  return 0
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_free() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

# choose_port VAR_FORCED STORED_FILE -> echoes port
choose_port() {
  local forced="$1" stored="$2"
  if [[ -n "$forced" ]]; then echo "$forced"; return; fi
  if [[ -s "$stored" ]]; then cat "$stored"; return; fi
  free_port
}

# One Metadata (v4) request over the Kafka wire protocol; succeeds when the
# broker answers with at least one live broker. Pure python, no client lib.
probe() {
  python3 - "$HOST" "$1" <<'EOF'
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    s = socket.create_connection((host, port), timeout=3)
    s.settimeout(5)
    client = b"kafka-local"
    # header v1: api_key=3 (Metadata), api_version=4, correlation_id, client_id
    body = struct.pack(">hhih", 3, 4, 7, len(client)) + client
    body += struct.pack(">i", -1)  # topics: null -> all
    body += b"\x00"                # allow_auto_topic_creation=false
    s.sendall(struct.pack(">i", len(body)) + body)
    def recvn(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed")
            buf += chunk
        return buf
    size = struct.unpack(">i", recvn(4))[0]
    data = recvn(size)
    corr, _throttle, nbrokers = struct.unpack(">iii", data[:12])
    if corr != 7 or nbrokers < 1:
        sys.exit(1)
    node_id, hlen = struct.unpack(">ih", data[12:18])
    bport = struct.unpack(">i", data[18 + hlen:22 + hlen])[0]
    sys.exit(0 if bport == port else 1)
except Exception:
    sys.exit(1)
EOF
}

show_logs() {
  log "---- tail of $OUT_FILE ----"
  tail -n 30 "$OUT_FILE" >&2 2>/dev/null || true
  log "---- tail of $LOG_DIR/server.log ----"
  tail -n 60 "$LOG_DIR/server.log" >&2 2>/dev/null || true
}

wait_ready() {
  local port="$1" pid="$2" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_logs
      die "broker process $pid exited during startup"
    fi
    if probe "$port"; then return 0; fi
    sleep 0.5
  done
  show_logs
  die "broker did not answer on $HOST:$port within ${START_TIMEOUT}s (still running as pid $pid; '$0 stop' to stop it)"
}

write_config() {
  local port="$1" cport="$2"
  cat >"$CONFIG" <<EOF
# generated by scripts/kafka-local.sh -- rewritten on every start
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$cport
listeners=PLAINTEXT://$HOST:$port,CONTROLLER://$HOST:$cport
advertised.listeners=PLAINTEXT://$HOST:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$DATA_DIR
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=${KAFKA_AUTO_CREATE_TOPICS:-true}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# after a crash (SIGKILL) the node cannot re-register until its old broker
# session expires (default 9s): keep that short for crash/restart tests
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=4000
# small machine (2 cores shared with the tests)
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.retention.hours=24
EOF
  cat >"$STATE/log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/kafka-local.sh: everything to logs/server.log, WARN+ also to stderr (kafka.out) -->
<Configuration status="WARN">
  <Appenders>
    <RollingFile name="server" fileName="${sys:kafka.logs.dir}/server.log"
                 filePattern="${sys:kafka.logs.dir}/server.log.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <SizeBasedTriggeringPolicy size="50MB"/>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
    <Console name="stderr" target="SYSTEM_ERR">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="org.apache.kafka.storage.internals.log.LogCleaner" level="WARN"/>
    <Root level="INFO">
      <AppenderRef ref="server"/>
      <AppenderRef ref="stderr" level="WARN"/>
    </Root>
  </Loggers>
</Configuration>
EOF
}

start() {
  need_python
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock 9
  local port cport
  if pid_alive; then
    port="$(cat "$STATE/port")"
    wait_ready "$port" "$(cat "$PID_FILE")"
    exec 9>&-
    echo "bootstrap=$HOST:$port"
    return 0
  fi
  fetch
  ensure_tools
  port="$(choose_port "${KAFKA_PORT:-}" "$STATE/port")"
  cport="$(choose_port "${KAFKA_CONTROLLER_PORT:-}" "$STATE/controller.port")"
  [[ "$port" != "$cport" ]] || cport="$(free_port)"
  port_free "$port" || die "port $HOST:$port is in use by another process (set KAFKA_PORT, or '$0 clean')"
  port_free "$cport" || die "controller port $HOST:$cport is in use by another process (set KAFKA_CONTROLLER_PORT, or '$0 clean')"
  echo "$port" >"$STATE/port"
  echo "$cport" >"$STATE/controller.port"
  mkdir -p "$LOG_DIR" "$DATA_DIR"
  write_config "$port" "$cport"

  local cp="$LIBS/*"
  if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
    [[ -s "$STATE/cluster.id" ]] || java -cp "$cp" kafka.tools.StorageTool random-uuid >"$STATE/cluster.id"
    log "formatting $DATA_DIR (cluster id $(cat "$STATE/cluster.id"))"
    java -Xmx256m -cp "$cp" -Dlog4j2.configurationFile="$STATE/log4j2.xml" -Dkafka.logs.dir="$LOG_DIR" \
      kafka.tools.StorageTool format -t "$(cat "$STATE/cluster.id")" -c "$CONFIG" >"$STATE/format.out" 2>&1 \
      || { cat "$STATE/format.out" >&2; die "kafka.tools.StorageTool format failed"; }
  fi

  log "starting Kafka $KAFKA_VERSION on $HOST:$port (controller $cport), state in $STATE"
  # shellcheck disable=SC2086
  nohup java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} \
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dkafka.logs.dir="$LOG_DIR" -Dlog4j2.configurationFile="$STATE/log4j2.xml" \
    ${KAFKA_OPTS:-} -cp "$cp" kafka.Kafka "$CONFIG" \
    </dev/null >>"$OUT_FILE" 2>&1 9>&- 8>&- &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  local t0=$SECONDS
  wait_ready "$port" "$pid"
  log "ready after $((SECONDS - t0))s (pid $pid, log $LOG_DIR/server.log)"
  exec 9>&-
  echo "bootstrap=$HOST:$port"
}

stop() {
  if [[ ! -d "$STATE" ]]; then log "not running"; return 0; fi
  exec 9>"$STATE/.lock"
  flock 9
  if ! pid_alive; then
    rm -f "$PID_FILE"
    log "not running"
    exec 9>&-
    return 0
  fi
  local pid deadline
  pid="$(cat "$PID_FILE")"
  log "stopping pid $pid (SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  log "stopped"
  exec 9>&-
}

# SIGKILL, no clean shutdown (for crash tests); data and port are kept.
kill_broker() {
  if [[ ! -d "$STATE" ]] || ! pid_alive; then rm -f "$PID_FILE"; log "not running"; return 0; fi
  local pid
  pid="$(cat "$PID_FILE")"
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$PID_FILE"
  log "killed pid $pid"
}

status() {
  if pid_alive && probe "$(cat "$STATE/port")"; then
    echo "bootstrap=$HOST:$(cat "$STATE/port")"
    return 0
  fi
  if pid_alive; then log "process $(cat "$PID_FILE") is alive but not answering"; return 1; fi
  log "not running"
  return 3
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  kill) kill_broker ;;
  status) status ;;
  fetch) fetch ;;
  topics)
    pid_alive || die "not running"
    exec java -Xmx256m -cp "$LIBS/*" -Dlog4j2.configurationFile="$STATE/log4j2.xml" -Dkafka.logs.dir="$LOG_DIR/tools" \
      org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$(cat "$STATE/port")" "$@" ;;
  logs) tail -n "${1:-100}" "$LOG_DIR/server.log" ;;
  clean) stop; rm -rf "$STATE"; log "removed $STATE" ;;
  *) echo "usage: $0 {start|stop|restart|kill|status|fetch|topics ARGS|logs [N]|clean}" >&2; exit 2 ;;
esac
