#!/usr/bin/env bash
# Starts one Flink process the way flink-dist's flink-daemon.sh/config.sh do, without a flink-dist tarball:
# BashJavaUtils computes the memory flags (a TM exits at startup without its -D line), then `exec java` so the
# pid scripts/env recorded is the JVM's.
# usage: flink-launch.sh jm|tm <index>
# env: FLINK_LIB (jar folder), FLINK_CONF (config.yaml + log4j.properties), FLINK_LOG_DIR, FLINK_TMP,
#      FLINK_IDENT (user name in the log file names), FLINK_HOSTNAME
set -euo pipefail
ROLE=$1; IDX=${2:-0}
CP="$FLINK_LIB/*"
LOGOPTS="-Dlog4j.configurationFile=file:$FLINK_CONF/log4j.properties"
case $ROLE in
  jm) MODE=GET_JM_RESOURCE_PARAMS; CLASS=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
      LOG=$FLINK_LOG_DIR/flink-$FLINK_IDENT-standalonesession-$IDX-$FLINK_HOSTNAME.log ;;
  tm) MODE=GET_TM_RESOURCE_PARAMS; CLASS=org.apache.flink.runtime.taskexecutor.TaskManagerRunner
      LOG=$FLINK_LOG_DIR/flink-$FLINK_IDENT-taskexecutor-$IDX-$FLINK_HOSTNAME.log ;;
  *) echo "usage: $0 jm|tm <index>" >&2; exit 2 ;;
esac
# Flink's default env.java.opts.all for Java 17; --add-opens java.util is mandatory on the JM for REST job runs.
JAVA_OPTS=(
  --add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)
# The helper JVM logs to its own file: with roll-on-startup it would otherwise rotate the real log.
RES=$(java -Dlog.file="$FLINK_TMP/bash-java-utils.log" "$LOGOPTS" -cp "$CP" org.apache.flink.runtime.util.bash.BashJavaUtils \
      $MODE --configDir "$FLINK_CONF" | grep '^BASH_JAVA_UTILS_EXEC_RESULT:' | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://')
JVM_ARGS=$(echo "$RES" | sed -n 1p)
DYN_ARGS=$(echo "$RES" | sed -n 2p)
if [ -z "$JVM_ARGS" ] || [ -z "$DYN_ARGS" ]; then
  echo "flink-launch.sh: BashJavaUtils $MODE printed no result (see $FLINK_TMP/bash-java-utils.log)" >&2; exit 1
fi
# shellcheck disable=SC2086  # JVM_ARGS and DYN_ARGS are word lists by design ("-D key=value" pairs)
exec java $JVM_ARGS "${JAVA_OPTS[@]}" -Dlog.file="$LOG" "$LOGOPTS" -cp "$CP" $CLASS --configDir "$FLINK_CONF" $DYN_ARGS
