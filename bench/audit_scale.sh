#!/bin/bash
# audit_scale: how long `tailor audit` takes on large deployments, next to the tools that read
# the same files anyway (issue 13). See bench/README.md.
#
#   bench/audit_scale.sh [--reps N] [--sizes "10 100 1000"] [--build DIR] [--markdown FILE]
#
# For each size N it writes a Compose file with N services (anchors, merge keys, volumes,
# ports, capabilities: the shapes real files have) and a Kubernetes manifest with N Deployments
# (an init container each) plus N Services, then times, median of --reps runs:
#   tailor audit FILE                 (text output to /dev/null, --fail-on none)
#   tailor audit --profile P FILE     (every workload checked against a recorded profile too)
#   tailor harden --profile S=P FILE  (Compose: service svc0 hardened, the override written;
#                                      Kubernetes: every container "app" hardened, the whole
#                                      manifest rewritten)
#   docker-compose -f FILE config -q  (Compose only: Debian's docker-compose validating it)
#   python3 yaml.safe_load_all        (PyYAML reading the file: a floor for any Python checker)
# Ratios are against the reference tool on the same file. Needs build/cli/tailor and
# build/samples/pipeline (for the profile); docker-compose and python3-yaml if present.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
reps=5 sizes="10 100 1000" build="$here/build" markdown=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --markdown) markdown="$2"; shift 2 ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "audit_scale: unknown option $1" >&2; exit 2 ;;
  esac
done
tailor="$build/cli/tailor"
for f in "$tailor" "$build/samples/pipeline"; do
  [ -x "$f" ] || { echo "audit_scale: $f is missing (cmake --build build --target tailor samples)" >&2; exit 2; }
done
W=$(mktemp -d /tmp/tailor-bench-audit-XXXXXX)
trap 'rm -rf "$W"' EXIT

# A profile of a real run, matched to every service (one profile, --profile SERVICE=FILE each
# would be the same work per workload).
mkdir -p "$W/pipeline-data"
"$tailor" record -q -o "$W/app.json" -- "$build/samples/pipeline" "$W/pipeline-data" >/dev/null 2>&1 ||
  { echo "audit_scale: recording the sample failed" >&2; exit 1; }

gen_compose() {  # N FILE
  python3 - "$1" "$2" <<'EOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
out = ["x-common: &common", "  restart: unless-stopped", "  logging:", "    driver: json-file",
       "  cap_drop: [ALL]", "", "services:"]
for i in range(n):
    out += [f"  svc{i}:", "    <<: *common", f"    image: registry.example/app{i % 7}:1.{i}",
            f"    command: [\"serve\", \"--port\", \"{8000 + i % 1000}\"]",
            "    cap_add: [NET_BIND_SERVICE" + (", SYS_ADMIN]" if i % 5 == 0 else "]"),
            "    environment:", f"      SVC: svc{i}", "      LOG_LEVEL: info",
            "    volumes:", f"      - data{i}:/var/lib/app", "      - ./conf:/etc/app:ro",
            "    ports:", f"      - \"{10000 + i}:{8000 + i % 1000}\"",
            "    mem_limit: 256m" if i % 2 else "    read_only: true"]
out += ["volumes:"] + [f"  data{i}: {{}}" for i in range(n)]
open(path, "w").write("\n".join(out) + "\n")
EOF
}

gen_k8s() {  # N FILE
  python3 - "$1" "$2" <<'EOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
docs = []
for i in range(n):
    docs.append(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app{i}
  labels: {{app: app{i}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: app{i}}}
  template:
    metadata:
      labels: {{app: app{i}}}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {{type: RuntimeDefault}}
      initContainers:
        - name: migrate
          image: registry.example/migrate:{i}
          args: ["--to", "latest"]
      containers:
        - name: app
          image: registry.example/app{i % 7}:1.{i}
          ports: [{{containerPort: 8080}}]
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {{drop: [ALL], add: [NET_BIND_SERVICE]}}
          resources:
            limits: {{memory: 256Mi, cpu: 500m}}
          volumeMounts:
            - {{name: cache, mountPath: /cache}}
      volumes:
        - name: cache
          emptyDir: {{}}
---
apiVersion: v1
kind: Service
metadata:
  name: app{i}
spec:
  selector: {{app: app{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
""")
open(path, "w").write("---\n".join(docs))
EOF
}

# median wall seconds of `reps` runs of the command
median() {
  local t=() s e
  for _ in $(seq "$reps"); do
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    e=$(date +%s.%N)
    t+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${t[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}
secs() { [ "$1" = - ] || printf ' s'; }
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2fx", $1 / $2; else print "-" }'; }
has_pyyaml=0; python3 -c 'import yaml' 2>/dev/null && has_pyyaml=1
has_compose=0; command -v docker-compose >/dev/null && has_compose=1

rows=()
for n in $sizes; do
  gen_compose "$n" "$W/compose-$n.yml"
  gen_k8s "$n" "$W/k8s-$n.yml"
  for kind in compose k8s; do
    f="$W/$kind-$n.yml"
    size=$(du -k "$f" | cut -f1)
    # Each command once for real first: a failing command must not be timed as a fast one.
    svc=svc0; [ $kind = k8s ] && svc=app
    "$tailor" audit --fail-on none --profile "$W/app.json" "$f" >/dev/null 2>"$W/err" &&
      "$tailor" harden -q --profile "$svc=$W/app.json" "$f" -o "$W/hardened.yml" --seccomp-dir "$W" 2>"$W/err" ||
      { echo "audit_scale: tailor failed on $f:" >&2; tail -3 "$W/err" >&2; exit 1; }
    a=$(median "$tailor" audit --fail-on none "$f")
    p=$(median "$tailor" audit --fail-on none --profile "$W/app.json" "$f")
    h=$(median "$tailor" harden -q --profile "$svc=$W/app.json" "$f" -o "$W/hardened.yml" --seccomp-dir "$W")
    y="-" c="-"
    [ $has_pyyaml = 1 ] && y=$(median python3 -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f")
    [ $has_compose = 1 ] && [ $kind = compose ] && c=$(median docker-compose -f "$f" config -q)
    rows+=("| $kind | $n | ${size} KiB | $a s | $p s | $h s | $c$(secs "$c") | $y$(secs "$y") | $( [ "$y" != - ] && ratio "$p" "$y" || echo -) |")
  done
done

table="| file | workloads | size | tailor audit | audit --profile | harden | docker-compose config | PyYAML load | audit --profile vs PyYAML |
|---|---|---|---|---|---|---|---|---|"
for r in "${rows[@]}"; do table+=$'\n'"$r"; done
echo "$table"
[ -n "$markdown" ] && echo "$table" >"$markdown"
exit 0
