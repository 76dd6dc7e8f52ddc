# AppArmor profile "tailor-test" written by tailor from what the workload used.
# Recorded command:
#   /usr/bin/worker
# Load it with `apparmor_parser -r FILE`, run the container with
# `--security-opt apparmor=tailor-test`. Anything the recording did not exercise is denied.

abi <abi/3.0>,

#include <tunables/global>

profile "tailor-test" flags=(attach_disconnected,mediate_deleted) {
  # The C library's needs (ld.so cache, locale basics, /dev/null, ...).
  #include <abstractions/base>

  # Capabilities the workload exercised (each with the first call that needed it).
  # (none)

  # Sockets by address family and type, as created during the recording.
  # (no sockets)

  # Files, from the recorded accesses: r read, w write/create/delete/rename/chmod,
  # k lock, l link, m mmap executable. Per-process /proc paths are owner @{pid}
  # patterns; temp names and large sets of files in one directory are globs.
  /dev/shm/sem.* rw,
  /tmp/output w,
  /tmp/plain.txt r,
  /tmp/tailor-test-*/ w,
  /tmp/tailor-test-*/data.txt w,
  /tmp/tmp* rw,
  /var/tmp/sort.* rw,
  owner @{PROC}/@{pid}/fd/ r,
  owner @{PROC}/@{pid}/fd/[0-9]* r,
  owner @{PROC}/@{pid}/oom_score_adj w,
  owner @{PROC}/@{pid}/stat r,
  owner @{PROC}/@{pid}/status r,
  owner @{PROC}/@{pid}/task/@{tid}/comm rw,
  owner @{PROC}/@{pid}/task/@{tid}/stat r,
  @{PROC}/cpuinfo r,
  @{PROC}/meminfo r,
  @{PROC}/sys/kernel/hostname r,

  # Programs run: ix, they inherit this profile (everything in the container runs
  # under it; px would need a profile of their own and deny the exec without one).
  /usr/bin/worker ix,

  # Signals from the host (unconfined: docker stop/kill) and the OCI runtime, and among
  # the workload's own processes; ptrace only among them (gdb, /proc/<pid> reads).
  signal (receive) peer=unconfined,
  signal (receive) peer=runc,
  signal (receive) peer=crun,
  signal (send,receive) peer="tailor-test",
  ptrace (trace,read,tracedby,readby) peer="tailor-test",

  # Mount operations: allowed only if the workload performed them.
  deny mount,
  deny umount,
  deny pivot_root,

  # docker-default's denials. Deny rules win over allow rules, so each one is kept
  # only where it takes away nothing the workload used; it still guards against
  # broader rules added later (local includes, abstractions).
  deny network alg,  # kernel crypto API sockets (AF_ALG)
  deny @{PROC}/* w,  # files directly in /proc (sysrq-trigger, kmsg, ...)
  deny @{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/** w,  # anything below /proc except /proc/<pid>/** and /proc/sys/**
  deny @{PROC}/sys/[^k]** w,  # sysctls outside /proc/sys/kernel
  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,  # kernel sysctls other than shm*
  deny @{PROC}/sysrq-trigger rwklx,  # magic SysRq
  deny @{PROC}/kcore rwklx,  # physical memory
  deny /sys/[^f]*/** wklx,  # sysfs outside /sys/fs
  deny /sys/f[^s]*/** wklx,  # sysfs outside /sys/fs
  deny /sys/fs/[^c]*/** wklx,  # /sys/fs outside cgroup
  deny /sys/fs/c[^g]*/** wklx,  # /sys/fs outside cgroup
  deny /sys/fs/cg[^r]*/** wklx,  # /sys/fs outside cgroup
  deny /sys/firmware/** rwklx,  # firmware tables (ACPI, EFI variables)
  deny /sys/devices/virtual/powercap/** rwklx,  # RAPL energy counters (power side channel)
  deny /sys/kernel/security/** rwklx,  # securityfs (LSM policy)
}
