# Start each local service the integration suites use when it is not answering,
# with the commands this machine kind documents, and export their URLs.
answering() { (echo > "/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

wait_for() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do answering "$port" && return 0; sleep 0.5; done
  echo "warning: $name (port $port) did not come up; its suites will say they were skipped"
}

ensure_service() {
  local port=$1 name=$2; shift 2
  if answering "$port"; then echo "$name: answering on $port"; return 0; fi
  echo "$name: not answering on $port, starting it"
  "$@" >/dev/null 2>&1 || echo "warning: could not start $name"
  wait_for "$port" "$name"
}

ensure_services() {
  ensure_service 5432 PostgreSQL bash -c 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'
  ensure_service 4222 NATS start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  ensure_service 6379 Redis redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  ensure_service 5672 RabbitMQ rabbitmq-server -detached
  ensure_service 1883 Mosquitto mosquitto -d -c /etc/mosquitto/mosquitto.conf
  answering 5432 && export FHIRSTREAM_POSTGRES_URL="${FHIRSTREAM_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
  answering 4222 && export FHIRSTREAM_NATS_URL="${FHIRSTREAM_NATS_URL:-nats://127.0.0.1:4222}"
  answering 6379 && export FHIRSTREAM_REDIS_URL="${FHIRSTREAM_REDIS_URL:-redis://127.0.0.1:6379}"
  answering 1883 && export FHIRSTREAM_MQTT_URL="${FHIRSTREAM_MQTT_URL:-mqtt://127.0.0.1:1883}"
  answering 5672 && export FHIRSTREAM_AMQP_URL="${FHIRSTREAM_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}"
  return 0
}
