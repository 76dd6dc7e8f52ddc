# AppArmor profile "tailor-test" written by tailor from what the workload used.
# Recorded command:
#   /usr/sbin/netd -f
# Load it with `apparmor_parser -r FILE`, run the container with
# `--security-opt apparmor=tailor-test`. Anything the recording did not exercise is denied.

abi <abi/3.0>,

#include <tunables/global>

profile "tailor-test" flags=(attach_disconnected,mediate_deleted) {
  # The C library's needs (ld.so cache, locale basics, /dev/null, ...).
  #include <abstractions/base>

  # Capabilities the workload exercised (each with the first call that needed it).
  capability net_bind_service,  # bind: bind inet 0.0.0.0:80
  capability net_raw,  # socket: socket packet raw
  # CAP_NOT_A_REAL_ONE: not a capability AppArmor knows; not granted
  capability sys_admin,  # mount: mount tmpfs /mnt/scratch
  # refused during recording (EPERM/EACCES), not granted: CAP_SYS_PTRACE

  # Sockets by address family and type, as created during the recording.
  # socket family AF_99: no AppArmor keyword; not granted
  network alg seqpacket,
  network inet dgram,
  network inet stream,
  network inet,
  network inet6 stream,
  network kcm stream,
  network netlink raw,
  network packet raw,
  network unix seqpacket,
  network unix stream,

  # Files, from the recorded accesses: r read, w write/create/delete/rename/chmod,
  # k lock, l link, m mmap executable. Per-process /proc paths are owner @{pid}
  # patterns; temp names and large sets of files in one directory are globs.
  # (none beyond abstractions/base)

  # Programs run: ix, they inherit this profile (everything in the container runs
  # under it; px would need a profile of their own and deny the exec without one).
  /usr/sbin/netd ix,

  # Signals from the host (unconfined: docker stop/kill) and the OCI runtime, and among
  # the workload's own processes; ptrace only among them (gdb, /proc/<pid> reads).
  signal (receive) peer=unconfined,
  signal (receive) peer=runc,
  signal (receive) peer=crun,
  signal (send,receive) peer="tailor-test",
  ptrace (trace,read,tracedby,readby) peer="tailor-test",

  # Mount operations: allowed only if the workload performed them.
  # mount/umount targets seen: /mnt/scratch
  mount,
  umount,
  deny pivot_root,

  # docker-default's denials. Deny rules win over allow rules, so each one is kept
  # only where it takes away nothing the workload used; it still guards against
  # broader rules added later (local includes, abstractions).
  # kernel crypto API sockets (AF_ALG) were used: no `deny network alg`
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
