// What the eBPF recorder (record.bpf.c) and its user-space side (bpf_backend.cpp) share: the
// per-syscall configuration user space writes before the workload starts, and the records the
// programs send through the ring buffer. Plain C, fixed-width types only, so that clang
// -target bpf and g++ lay every struct out the same way (checked by static_asserts in
// bpf_backend.cpp).
#ifndef TAILOR_RECORD_BPF_H
#define TAILOR_RECORD_BPF_H

#ifndef __bpf__
#include <stdint.h>
typedef uint8_t tl_u8;
typedef int8_t tl_s8;
typedef uint16_t tl_u16;
typedef uint32_t tl_u32;
typedef int32_t tl_s32;
typedef uint64_t tl_u64;
typedef int64_t tl_s64;
#else
typedef __u8 tl_u8;
typedef __s8 tl_s8;
typedef __u16 tl_u16;
typedef __u32 tl_u32;
typedef __s32 tl_s32;
typedef __u64 tl_u64;
typedef __s64 tl_s64;
#endif

// Syscall tables, one per entry point the x86_64 kernel has. The index is arch * TL_NR_MAX + nr
// (nr without the x32 bit).
#define TL_ARCH_X86_64 0
#define TL_ARCH_I386 1
#define TL_ARCH_X32 2
#define TL_NARCH 3
#define TL_NR_MAX 1024

// How one pointer argument is captured (tl_sysconf.cap[i].kind).
#define TLC_NONE 0
#define TLC_PATH \
  1                       // string at args[arg]; aux = its dirfd argument (0xff: cwd); relative or
                          // empty paths also capture the base directory (TL_IT_FDPATH)
#define TLC_MEM 2         // `size` bytes at args[arg]
#define TLC_MEM_LEN 3     // min(args[aux] * (aux2 ? aux2 : 1), size) bytes at args[arg]
#define TLC_FD 4          // the path of the file open as fd args[arg]
#define TLC_RETFILE 5     // on success: what the returned fd is (TL_IT_FILE)
#define TLC_MSGHDR 6      // struct msghdr at args[arg], then its msg_name
#define TLC_SOCKETCALL 7  // i386 socketcall: the 6 argument words, then their sockaddr
#define TLC_STR 8         // a NUL-terminated string at args[arg] that is not a path
#define TLC_RLIMITS 9     // the caller's resource limits at entry (TL_IT_RLIMITS)
#define TL_NCAP 4
#define TL_NO_ARG 0xff

struct tl_cap {
  tl_u8 kind;
  tl_u8 arg;
  tl_u8 aux;
  tl_u8 aux2;
  tl_u32 size;
};

#define TLS_EMIT 1      // send a TL_EV_SYSCALL record (at exit, with the result)
#define TLS_AT_ENTER 2  // send it at entry instead (exit, exit_group: there is no exit)
#define TLS_EXEC 4      // execve/execveat: starts tracking an armed first process
struct tl_sysconf {
  tl_u8 flags;
  tl_s8 fd_arg;    // an fd the process holds (for the highest fd in use), -1 if none
  tl_u8 cond_arg;  // TL_NO_ARG, or: emit only if args[cond_arg] & cond_mask
  tl_u8 pad;
  tl_u32 cond_mask;
  struct tl_cap cap[TL_NCAP];
};

// Record types.
#define TL_EV_SYSCALL 1
#define TL_EV_FORK 2
#define TL_EV_EXEC 3
#define TL_EV_EXIT 4
#define TL_EV_TRACK 5  // a task tracked from now on that no tracked parent forked (containers)

// Items following a TL_EV_SYSCALL or TL_EV_EXEC record, each padded to 8 bytes.
#define TL_IT_MEM 1       // key: user address; bytes as read
#define TL_IT_STR 2       // key: user address; the string with its NUL
#define TL_IT_FDPATH 3    // key: fd (TL_CWD_KEY for the cwd); the path with its NUL
#define TL_IT_FILE 4      // key: fd; struct tl_file
#define TL_IT_EXE 5       // the executable's path (EXEC)
#define TL_IT_FILENAME 6  // the name execve was given (EXEC), as the kernel copied it
#define TL_IT_RETFILE 7   // key: the fd the call returned; struct tl_file
#define TL_IT_RLIMITS 8   // TL_NRLIMITS pairs of u64 (cur, max), as at entry
#define TL_IT_TCREDS 9    // key: pid << 32 | tgid of a signal's target; its struct tl_creds
#define TL_NRLIMITS 16
#define TL_CWD_KEY 0xffffffffffffff9cULL  // AT_FDCWD as u64

// Item flags.
#define TLI_UNREADABLE 1  // the user memory could not be read at exit (not faulted in)
#define TLI_TRUNCATED 2   // a path deeper than the walk or longer than the buffer

struct tl_item {
  tl_u16 kind;
  tl_u16 flags;
  tl_u32 len;  // bytes of data that follow (the item takes 8 + round_up(len, 8))
  tl_u64 key;
};

struct tl_file {
  tl_u32 mode, uid, gid;
  tl_u32 created;  // the open made the file (FMODE_CREATED)
  tl_u64 dev, ino;
};

#define TL_MAX_GROUPS 32
struct tl_creds {
  tl_u32 uid, gid, suid, sgid, euid, egid, fsuid, fsgid;
  tl_u64 cap_eff, cap_prm, cap_bnd;
  tl_u32 ngroups;
  tl_s32 nice;  // the task's nice value (static_prio - 120)
  tl_u32 groups[TL_MAX_GROUPS];
};

struct tl_hdr {
  tl_u32 type;
  tl_u32 size;  // the whole record, header and items
  tl_u32 tid;
  tl_u32 tgid;
  // The tracked task's pid namespace when containers are recorded (its inode number; with
  // TL_CT_NEW_PIDNS a token per namespace life, ns_tokens in record.bpf.c); 0 otherwise.
  tl_u32 ns;
  tl_u32 pad;
};

struct tl_syscall {
  struct tl_hdr h;
  tl_u32 arch;
  tl_u32 nr;  // as the kernel passed it (x32 bit included)
  tl_u64 args[6];
  tl_s64 ret;
  tl_u32 exe_id;
  tl_u32 nitems;
  tl_u64 vm_hwm_kb;       // TLS_AT_ENTER records: the process's peak resident set so far
  struct tl_creds creds;  // at entry
};

struct tl_fork {
  struct tl_hdr h;  // tid/tgid: the new task
  tl_u32 parent_tid, parent_tgid;
  tl_u32 exe_id;
  tl_u32 thread;
};

struct tl_exec {
  struct tl_hdr h;
  tl_u32 old_tid;  // differs from h.tid when a non-leader thread exec'd
  tl_u32 exe_id;   // the new image's
  tl_u32 nitems;
  tl_u32 pad;
  struct tl_creds creds;  // after the exec (setuid bits applied)
};

struct tl_exit {
  struct tl_hdr h;
  tl_u32 group_dead;  // the last task of its process
  tl_u32 pad;
  tl_u64 maxrss_kb;  // group_dead: the process's peak resident set (all its images)
};

// A task tracked from now on without a tracked parent: a container's first process at its exec
// (TL_CT_DESCENDANTS, TL_CT_NEW_PIDNS) or a container's task at its first syscall after the
// attach (TL_CT_ATTACH; then with TL_IT_EXE and TL_IT_FILE items: its executable). The cgroup
// names are the last path components of its cgroup v2 cgroup and of its v1 cpu controller's
// (either may be the root's, ""): an engine names a container's cgroup after its id.
#define TL_CGROUP_NAME 128
struct tl_track {
  struct tl_hdr h;
  tl_u32 exe_id;
  tl_u32 nitems;
  char cgroup[2][TL_CGROUP_NAME];
};

// Counts kept in the kernel.
struct tl_count_key {
  tl_u32 exe_id;
  tl_u16 arch;
  tl_u16 nr;
  tl_u32 ns;  // tl_hdr.ns of the caller
  tl_u32 pad;
};

// Per-CPU statistics (index into the `stats` array map).
#define TL_ST_DROP_SYSCALL 0  // TL_EV_SYSCALL records the ring buffer had no room for
#define TL_ST_DROP_FORK 1
#define TL_ST_DROP_EXEC 2
#define TL_ST_DROP_EXIT 3
#define TL_ST_DROP_COUNT 4  // counts the count map had no room for
#define TL_ST_MAX_FD 5      // highest fd seen in use (a maximum, not a sum)
#define TL_ST_TRUNCATED 6   // paths cut short
#define TL_ST_NO_STORAGE 7  // tasks that could not be tracked (no task storage)
#define TL_NSTATS 8

// The largest record: header, and up to 2 * TL_NCAP items of at most TL_ITEM_MAX bytes.
#define TL_PATH_MAX 4096
#define TL_ITEM_MAX (sizeof(struct tl_item) + TL_PATH_MAX)

// Task states (task storage).
#define TL_TASK_ARMED 1  // the first process, waiting for its execve
#define TL_TASK_TRACKED 2
#define TL_TASK_WATCHED 3  // TL_CT_DESCENDANTS: tracked from an exec in a deeper pid namespace on

// What is recorded (record.bpf.c's ct_mode).
#define TL_CT_NONE 0  // the launched command (ARMED) and its descendants
#define TL_CT_DESCENDANTS \
  1  // descendants of the launched command (WATCHED) that exec in a pid
     // namespace below tailor's, and theirs: a container whose runtime
     // the command starts (podman, crun, runc)
#define TL_CT_NEW_PIDNS \
  2                     // any task that execs in a pid namespace below tailor's, and its
                        // descendants, told apart by namespace: user space keeps the
                        // container's (Docker, whose daemon starts it)
#define TL_CT_ATTACH 3  // every task in pid namespace attach_ns, from its next syscall on

#endif
