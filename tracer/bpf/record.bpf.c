// The eBPF side of `tailor record --backend bpf`.
//
// Only the workload is watched: a task is tracked when it has an entry in the `tasks` task
// storage, which user space creates for the first process (ARMED: tracking starts at its execve,
// as the other backends start at the filter installed just before it) and sched_process_fork
// creates for every child of a tracked task, in the kernel, before the child runs. So daemons
// that double-fork stay tracked and nothing else on the machine is.
//
// Every syscall of a tracked task is counted here, per executable image, architecture and number
// (`counts`); nothing leaves the kernel for it. Only the calls user space marked in `sysconf`
// (those whose arguments make profile facts: paths, sockets, clone flags, capability rules, ...)
// send a record through the ring buffer, at exit, with the result and the argument memory the
// kernel has just read for the call itself. Reading at exit matters: at entry a user page may not
// be faulted in yet and bpf_probe_read_user_str then returns nothing (seen on this kernel's
// openat); after the kernel copied the path it is resident. Whatever still cannot be read is
// flagged, never sent as an empty string. Credentials are taken at entry, before a set*id call
// changes them. Relative paths come with their base directory (the cwd or the dirfd's path),
// walked up the dentry and mount tree here, since the task may be gone when user space reads the
// record.
//
// Nothing ever waits for user space: when the ring buffer is full a record is dropped and
// counted in `stats`, and tailor then fails loudly instead of writing an incomplete profile.
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "record_bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define AT_FDCWD_ (-100)
#define AT_EMPTY_PATH_ 0x1000
#define TS_COMPAT_ 0x0002
#define X32_BIT 0x40000000
#define PAGE_KB 4

// f_mode bit set by an open that created its file (include/linux/fs.h); user space may adjust.
const volatile __u32 fmode_created = 0x100000;

struct task_state {
  tl_u32 state;
  tl_u32 exe_id;
  tl_u32 pending;  // an entry waits for its exit record
  tl_u32 arch;
  tl_u32 nr;
  tl_u32 idx;  // sysconf index
  tl_u64 args[6];
  struct tl_creds creds;
  struct tl_file fdfile[TL_NCAP];  // TLC_FD targets as they were at entry
  tl_u32 fdfile_ok;                // bit i: fdfile[i] was read
  tl_u32 pad;
  tl_s64 ret;  // the result, while the exit record is built
  tl_u32 rlim_ok;
  tl_u32 tcreds_ok;  // tcreds: the target of a signal this call sent (signal_generate)
  tl_u32 tpid, ttgid;
  struct tl_creds tcreds;
  tl_u64 rlim[2 * TL_NRLIMITS];  // TLC_RLIMITS: limits at entry
  tl_u32 ns;                     // tl_hdr.ns: the container's pid namespace, or 0
  tl_u32 pad2;
};

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct task_state);
} tasks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, TL_NARCH* TL_NR_MAX);
  __type(key, tl_u32);
  __type(value, struct tl_sysconf);
} sysconf SEC(".maps");

// Entries are few, one per executable file and call (exe_ids below), so they are allocated as
// they come rather than preallocated (which costs ~30 ms at start).
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1 << 16);
  __type(key, struct tl_count_key);
  __type(value, tl_u64);
} counts SEC(".maps");

// One exe id per executable file (device, inode, modification time), not per exec: the hundreds
// of `cc1` a build runs share their counts. The time tells a rebuilt binary that got the same
// inode number apart from the old one.
struct exe_key {
  tl_u64 dev, ino, mtime;
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);  // as counts: preallocating costs ~5 ms at start
  __uint(max_entries, 1 << 14);
  __type(key, struct exe_key);
  __type(value, tl_u32);
} exe_ids SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TL_NSTATS);
  __type(key, tl_u32);
  __type(value, tl_u64);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 16 << 20);  // user space sets the size (--bpf-buffer)
} events SEC(".maps");

// Records are built here and copied into the ring buffer with their real size. Items start
// below HALF, so that every write the verifier sees stays inside `buf`.
#define HALF 16384
#define HALF_MASK (HALF - 1)
#define PMASK (TL_PATH_MAX - 1)
// One per CPU, indexed by CPU number: larger than a per-CPU array value may be (32 KiB).
// User space sets max_entries to the number of possible CPUs.
struct scratch {
  tl_u8 buf[2 * HALF];
  tl_u8 path[TL_PATH_MAX + 256];
  // walk_path's position, kept in the map rather than on the stack: a value loaded from a map is
  // an unknown scalar to the verifier, so the loop's states converge instead of being explored
  // once per possible position.
  tl_u32 pos;
  tl_u32 done;
  // The record being built: its length and item count, in the map for the same reason.
  tl_u32 off;
  tl_u32 n;
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, tl_u32);
  __type(value, struct scratch);
} scratches SEC(".maps");

static __always_inline struct scratch* get_scratch(void) {
  tl_u32 cpu = bpf_get_smp_processor_id();
  return bpf_map_lookup_elem(&scratches, &cpu);
}

__u32 next_exe_id = 1;  // 0 is the first process before its exec

// Waking the drain thread for every record costs more than the record (an irq_work and a
// cross-CPU wake-up: ~9 us per open measured here). Records are sent without a wake-up until
// this many bytes wait; the drain thread also looks every few milliseconds on its own.
const volatile __u64 wakeup_bytes = 256 << 10;

// Containers (TL_CT_*, record_bpf.h). A container is told by its pid namespace: every engine
// gives one to each container unless asked not to (--pid host), and the namespace is fixed for a
// task's life, unlike its cgroup. Set by user space before loading, so that the verifier drops
// what a plain recording never runs.
const volatile __u32 ct_mode = TL_CT_NONE;
const volatile __u32 host_level = 0;  // tailor's pid namespace depth
const volatile __u32 attach_ns = 0;   // TL_CT_ATTACH: the container's pid namespace

// TL_CT_NEW_PIDNS: namespaces user space found not to be the recorded container's (by their
// token, below); their new execs are not tracked (what they already run still is, until it
// exits, and is dropped).
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, tl_u32);
  __type(value, tl_u8);
} ignored_ns SEC(".maps");

// TL_CT_NEW_PIDNS: a pid namespace's inode number is free again once the namespace is, and the
// kernel hands out the lowest free number: a container that starts while the recording runs
// often gets the number of one that just ended. Keyed by that number, its records took the
// ended one's verdict: recorded as the container's if that was the recorded one, never tracked
// if it had been ignored. So records carry a token per namespace life instead: made when the
// namespace is first adopted, forgotten when its init exits (nothing joins a namespace after
// that, and its number is reused only after it).
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8192);
  __type(key, tl_u32);    // inode number
  __type(value, tl_u32);  // token
} ns_tokens SEC(".maps");
__u32 next_ns_token = 1;

static __always_inline tl_u64 rb_flags(void) {
  return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
                                                                       : BPF_RB_NO_WAKEUP;
}

static __always_inline void stat_add(tl_u32 which, tl_u64 n) {
  tl_u64* v = bpf_map_lookup_elem(&stats, &which);
  if (v) *v += n;
}

static __always_inline void stat_max(tl_u32 which, tl_u64 n) {
  tl_u64* v = bpf_map_lookup_elem(&stats, &which);
  if (v && n > *v) *v = n;
}

// The task's pid namespace and its depth.
static __always_inline struct pid_namespace* pidns_ptr(struct task_struct* task, tl_u32* level) {
  struct pid* pid = BPF_CORE_READ(task, thread_pid);
  tl_u32 l = BPF_CORE_READ(pid, level);
  *level = l;
  struct upid up = {};
  bpf_probe_read_kernel(
      &up, sizeof up,
      (char*)pid + bpf_core_field_offset(struct pid, numbers) + (l & 31) * sizeof(struct upid));
  return up.ns;
}

// The task's pid namespace (inode number) and its depth.
static __always_inline tl_u32 pidns_of(struct task_struct* task, tl_u32* level) {
  return BPF_CORE_READ(pidns_ptr(task, level), ns.inum);
}

// The token of the namespace life `inum` names now (ns_tokens); 0 if the map is full.
static __always_inline tl_u32 ns_token(tl_u32 inum) {
  tl_u32* t = bpf_map_lookup_elem(&ns_tokens, &inum);
  if (t) return *t;
  tl_u32 fresh = __sync_fetch_and_add(&next_ns_token, 1);
  if (bpf_map_update_elem(&ns_tokens, &inum, &fresh, BPF_NOEXIST) == 0) return fresh;
  t = bpf_map_lookup_elem(&ns_tokens, &inum);  // another CPU adopted a task of it first
  return t ? *t : 0;
}

// At the exit of a namespace's init (its last thread, which the namespace's child_reaper
// follows), the namespace ends: its inode number may name a new one from now on.
static __always_inline void forget_ended_ns(struct task_struct* p) {
  if (BPF_CORE_READ(p, signal, live.counter) != 0) return;
  tl_u32 level = 0;
  struct pid_namespace* ns = pidns_ptr(p, &level);
  if (level <= host_level || BPF_CORE_READ(ns, child_reaper) != p) return;
  tl_u32 inum = BPF_CORE_READ(ns, ns.inum);
  bpf_map_delete_elem(&ns_tokens, &inum);
}

static __always_inline void read_creds(struct task_struct* task, struct tl_creds* c) {
  const struct cred* cred = BPF_CORE_READ(task, cred);
  c->uid = BPF_CORE_READ(cred, uid.val);
  c->gid = BPF_CORE_READ(cred, gid.val);
  c->suid = BPF_CORE_READ(cred, suid.val);
  c->sgid = BPF_CORE_READ(cred, sgid.val);
  c->euid = BPF_CORE_READ(cred, euid.val);
  c->egid = BPF_CORE_READ(cred, egid.val);
  c->fsuid = BPF_CORE_READ(cred, fsuid.val);
  c->fsgid = BPF_CORE_READ(cred, fsgid.val);
  // kernel_cap_t is a u64 since 6.3 and two u32 before: eight bytes either way.
  bpf_probe_read_kernel(&c->cap_eff, 8, &cred->cap_effective);
  bpf_probe_read_kernel(&c->cap_prm, 8, &cred->cap_permitted);
  bpf_probe_read_kernel(&c->cap_bnd, 8, &cred->cap_bset);
  c->nice = (tl_s32)BPF_CORE_READ(task, static_prio) - 120;
  struct group_info* gi = BPF_CORE_READ(cred, group_info);
  int n = BPF_CORE_READ(gi, ngroups);
  if (n < 0) n = 0;
  if (n > TL_MAX_GROUPS) n = TL_MAX_GROUPS;
  c->ngroups = n;
  bpf_probe_read_kernel(c->groups, sizeof c->groups, &gi->gid[0]);
}

static __always_inline struct file* fd_file(struct task_struct* task, tl_s64 fd) {
  if (fd < 0 || fd > 0x7fffffff) return 0;
  struct fdtable* fdt = BPF_CORE_READ(task, files, fdt);
  unsigned int max = BPF_CORE_READ(fdt, max_fds);
  if ((tl_u64)fd >= max) return 0;
  struct file** arr = BPF_CORE_READ(fdt, fd);
  struct file* f = 0;
  bpf_probe_read_kernel(&f, sizeof f, &arr[fd]);
  return f;
}

static __always_inline void file_info(struct file* f, struct tl_file* out) {
  struct inode* ino = BPF_CORE_READ(f, f_inode);
  out->mode = BPF_CORE_READ(ino, i_mode);
  out->uid = BPF_CORE_READ(ino, i_uid.val);
  out->gid = BPF_CORE_READ(ino, i_gid.val);
  out->ino = BPF_CORE_READ(ino, i_ino);
  out->dev = BPF_CORE_READ(ino, i_sb, s_dev);
  out->created = (BPF_CORE_READ(f, f_mode) & fmode_created) != 0;
}

// The path of `p` as the task sees it (up to its root), written backwards into s->path and
// returned as the offset of its first byte; the string ends at s->path[PMASK]. One component per
// bpf_loop step: the verifier checks the step once, not once per depth and call site.
#define MAX_DEPTH 64
struct walk_ctx {
  struct scratch* s;
  struct dentry* dentry;
  struct vfsmount* vfsmnt;
  struct mount* mnt;
  struct dentry* root_d;
  struct vfsmount* root_m;
};

static long walk_step(tl_u32 i, void* data) {
  struct walk_ctx* w = data;
  struct scratch* s = w->s;
  if (!s) return 1;
  struct dentry* dentry = w->dentry;
  if (dentry == w->root_d && w->vfsmnt == w->root_m) {
    s->done = 1;
    return 1;
  }
  // (Locals: a CO-RE read must not see walk_ctx, which the kernel's BTF does not have.)
  struct vfsmount* vfsmnt = w->vfsmnt;
  struct mount* mnt = w->mnt;
  struct dentry* mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
  struct dentry* parent = BPF_CORE_READ(dentry, d_parent);
  if (dentry == mnt_root || dentry == parent) {
    struct mount* up = BPF_CORE_READ(mnt, mnt_parent);
    if (up != mnt) {
      w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
      w->mnt = up;
      w->vfsmnt = &up->mnt;
      return 0;
    }
    s->done = 1;  // the global root (or a detached mount's)
    return 1;
  }
  tl_u32 len = BPF_CORE_READ(dentry, d_name.len);
  const unsigned char* name = BPF_CORE_READ(dentry, d_name.name);
  tl_u32 pos = s->pos;
  if (len > 255 || pos > PMASK || pos < len + 2) return 1;
  pos -= len;
  bpf_probe_read_kernel(&s->path[pos & PMASK], len & 255, name);
  pos -= 1;
  s->path[pos & PMASK] = '/';
  s->pos = pos;
  w->dentry = parent;
  return 0;
}

static __always_inline tl_u32 walk_path(struct scratch* s, struct task_struct* task,
                                        const struct path* p, tl_u16* flags) {
  struct walk_ctx w = {};
  w.s = s;
  w.dentry = BPF_CORE_READ(p, dentry);
  w.vfsmnt = BPF_CORE_READ(p, mnt);
  w.mnt = container_of(w.vfsmnt, struct mount, mnt);
  w.root_d = BPF_CORE_READ(task, fs, root.dentry);
  w.root_m = BPF_CORE_READ(task, fs, root.mnt);
  s->pos = PMASK;
  s->done = 0;
  s->path[PMASK] = 0;
  bpf_loop(MAX_DEPTH, walk_step, &w, 0);
  tl_u32 pos = s->pos;
  if (!s->done) {
    *flags |= TLI_TRUNCATED;
    stat_add(TL_ST_TRUNCATED, 1);
  }
  if (pos == PMASK) {
    pos -= 1;
    s->path[pos & PMASK] = '/';
  }
  return pos;
}

// Appends an item header at `off`; returns the offset of its data. Callers check room first.
static __always_inline struct tl_item* item_at(struct scratch* s, tl_u32 off) {
  return (struct tl_item*)&s->buf[off & HALF_MASK];
}

static __always_inline tl_u32 item_end(tl_u32 off, tl_u32 len) {
  return off + sizeof(struct tl_item) + ((len + 7) & ~7u);
}

#define ROOM(off) ((off) + TL_ITEM_MAX + 8 <= HALF)

// The path of `path` (a struct path of the current task's) as an item of `kind` with `key`. A
// global function, checked once (see capture()); the path is an address, read with
// BPF_CORE_READ only.
__noinline int put_path(struct scratch* s, tl_u64 path, tl_u16 kind, tl_u64 key) {
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  const struct path* p = (const struct path*)path;
  if (!s) return 0;
  tl_u32 off = s->off;
  if (!ROOM(off)) return 0;
  struct tl_item* it = item_at(s, off);
  tl_u16 flags = 0;
  tl_u32 pos = walk_path(s, task, p, &flags);
  tl_u32 len = (TL_PATH_MAX - pos) & PMASK;  // with the NUL
  it = item_at(s, off);
  it->kind = kind;
  it->flags = flags;
  it->key = key;
  it->len = len;
  bpf_probe_read_kernel(&s->buf[(off + sizeof(struct tl_item)) & HALF_MASK], len & PMASK,
                        &s->path[pos & PMASK]);
  s->n++;
  s->off = item_end(off, len);
  return 0;
}

static __always_inline void put_fd_path(struct scratch* s, struct task_struct* task, tl_s64 fd) {
  if (fd == AT_FDCWD_) {
    struct fs_struct* fs = BPF_CORE_READ(task, fs);
    put_path(s, (tl_u64)&fs->pwd, TL_IT_FDPATH, TL_CWD_KEY);
    return;
  }
  struct file* f = fd_file(task, fd);
  if (f) put_path(s, (tl_u64)&f->f_path, TL_IT_FDPATH, (tl_u64)fd);
}

static __always_inline void put_file(struct scratch* s, tl_u16 kind, tl_u64 key,
                                     const struct tl_file* fi) {
  tl_u32 off = s->off;
  if (!ROOM(off)) return;
  struct tl_item* it = item_at(s, off);
  it->kind = kind;
  it->flags = 0;
  it->key = key;
  it->len = sizeof(struct tl_file);
  __builtin_memcpy(&s->buf[(off + sizeof(struct tl_item)) & HALF_MASK], fi, sizeof(struct tl_file));
  s->n++;
  s->off = item_end(off, sizeof(struct tl_file));
}

// `len` bytes of user memory at `addr`.
static __always_inline void put_mem(struct scratch* s, tl_u64 addr, tl_u32 len) {
  tl_u32 off = s->off;
  if (!ROOM(off) || addr == 0) return;
  len &= PMASK;
  struct tl_item* it = item_at(s, off);
  it->kind = TL_IT_MEM;
  it->key = addr;
  it->flags = 0;
  it->len = len;
  if (len && bpf_probe_read_user(&s->buf[(off + sizeof(struct tl_item)) & HALF_MASK], len,
                                 (const void*)addr) != 0) {
    it = item_at(s, off);
    it->flags = TLI_UNREADABLE;
    it->len = 0;
    len = 0;
  }
  s->n++;
  s->off = item_end(off, len);
}

// A NUL-terminated user string; *first gets its first byte (0 if empty or unreadable) and *ok
// whether it could be read.
static __always_inline void put_str(struct scratch* s, tl_u64 addr, char* first, int* ok) {
  *first = 0;
  *ok = 0;
  tl_u32 off = s->off;
  if (!ROOM(off) || addr == 0) return;
  struct tl_item* it = item_at(s, off);
  tl_u32 data = (off + sizeof(struct tl_item)) & HALF_MASK;
  long got = bpf_probe_read_user_str(&s->buf[data], TL_PATH_MAX, (const void*)addr);
  it = item_at(s, off);
  it->kind = TL_IT_STR;
  it->key = addr;
  tl_u32 len = 0;
  if (got > 0) {
    len = (tl_u32)got & (TL_PATH_MAX * 2 - 1);
    it->flags = got >= TL_PATH_MAX ? TLI_TRUNCATED : 0;
    *first = s->buf[data];
    *ok = 1;
  } else {
    it->flags = TLI_UNREADABLE;
  }
  it->len = len;
  s->n++;
  s->off = item_end(off, len);
}

static __always_inline tl_u64 arg_of(const tl_u64* args, tl_u8 i) {
  tl_u32 j = i;
  // Keep the checked register the one used as the index (the verifier tracks bounds per
  // register; clang would otherwise check a copy).
  asm volatile("" : "+r"(j));
  if (j >= 6) return 0;
  return args[j];
}

// The items one capture spec asks for.
//
// A global function: the verifier checks it once, on its own, where a static one is checked again
// at each of its call sites (four per program) in every state the caller reaches it in. Its
// arguments are therefore what a global function may take: memory of the declared size (maybe
// NULL) or scalars. The task is the current one, only ever read through BPF_CORE_READ.
__noinline int capture(struct scratch* s, struct task_state* ts, const struct tl_sysconf* sc,
                       int i) {
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  if (!s || !ts || !sc || i < 0 || i >= TL_NCAP) return 0;
  const struct tl_cap* c = &sc->cap[i & 3];
  const tl_s64 ret = ts->ret;
  const tl_u64* args = ts->args;
  switch (c->kind) {
    case TLC_PATH: {
      char first;
      int ok;
      put_str(s, arg_of(args, c->arg), &first, &ok);
      if (ok && first == '/') break;
      // Relative, empty or unreadable: the directory it is relative to.
      tl_s64 dirfd = AT_FDCWD_;
      if (c->aux != TL_NO_ARG) dirfd = (tl_s32)arg_of(args, c->aux);
      put_fd_path(s, task, dirfd);
      break;
    }
    case TLC_STR: {
      char first;
      int ok;
      put_str(s, arg_of(args, c->arg), &first, &ok);
      break;
    }
    case TLC_MEM:
      put_mem(s, arg_of(args, c->arg), c->size);
      break;
    case TLC_MEM_LEN: {
      tl_u64 len = arg_of(args, c->aux) * (c->aux2 ? c->aux2 : 1);
      if (len > c->size) len = c->size;
      put_mem(s, arg_of(args, c->arg), (tl_u32)len);
      break;
    }
    case TLC_FD: {
      tl_s64 fd = (tl_s32)arg_of(args, c->arg);
      put_fd_path(s, task, fd);
      if (i >= 0 && i < TL_NCAP && (ts->fdfile_ok & (1u << i)))
        put_file(s, TL_IT_FILE, (tl_u64)fd, &ts->fdfile[i & 3]);
      break;
    }
    case TLC_RLIMITS: {
      tl_u32 off = s->off;
      if (!ts->rlim_ok || !ROOM(off)) break;
      struct tl_item* it = item_at(s, off);
      it->kind = TL_IT_RLIMITS;
      it->flags = 0;
      it->key = 0;
      it->len = sizeof ts->rlim;
      __builtin_memcpy(&s->buf[(off + sizeof(struct tl_item)) & HALF_MASK], ts->rlim,
                       sizeof ts->rlim);
      s->n++;
      s->off = item_end(off, sizeof ts->rlim);
      break;
    }
    case TLC_RETFILE: {
      if (ret < 0) break;
      struct file* f = fd_file(task, ret);
      if (!f) break;
      struct tl_file fi = {};
      file_info(f, &fi);
      put_file(s, TL_IT_RETFILE, (tl_u64)ret, &fi);
      break;
    }
    case TLC_MSGHDR: {
      tl_u64 ptr = arg_of(args, c->arg);
      struct {
        tl_u64 name;
        tl_u32 namelen;
      } mh = {};
      put_mem(s, ptr, 56);
      if (ptr && bpf_probe_read_user(&mh, sizeof mh, (const void*)ptr) == 0 && mh.name)
        put_mem(s, mh.name, mh.namelen > 128 ? 128 : mh.namelen);
      break;
    }
    case TLC_SOCKETCALL: {
      tl_u64 ptr = arg_of(args, 1);
      tl_u32 w[6] = {};
      put_mem(s, ptr, sizeof w);
      if (!ptr || bpf_probe_read_user(w, sizeof w, (const void*)ptr) != 0) break;
      tl_u64 call = args[0];
      tl_u32 addr = 0, len = 0;
      if (call == 2 || call == 3) addr = w[1], len = w[2];  // bind, connect
      if (call == 11) addr = w[4], len = w[5];              // sendto
      if (addr) put_mem(s, addr, len > 128 ? 128 : len);
      break;
    }
    default:
      break;
  }
  return 0;
}

// What a capture spec needs from before the call: the limits it may change, the file an fd
// names before the call closes or replaces it. Global, checked once (see capture()).
__noinline int capture_at_entry(struct task_state* ts, const struct tl_sysconf* sc, int i) {
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  if (!ts || !sc || i < 0 || i >= TL_NCAP) return 0;
  const struct tl_cap* c = &sc->cap[i & 3];
  if (c->kind == TLC_RLIMITS) {
    struct signal_struct* sig = BPF_CORE_READ(task, signal);
    ts->rlim_ok = bpf_probe_read_kernel(ts->rlim, sizeof ts->rlim, &sig->rlim[0]) == 0;
    return 0;
  }
  if (c->kind != TLC_FD) return 0;
  struct file* f = fd_file(task, (tl_s32)arg_of(ts->args, c->arg));
  if (!f) return 0;
  file_info(f, &ts->fdfile[i & 3]);
  ts->fdfile_ok |= 1u << i;
  return 0;
}

static __always_inline void emit_syscall(struct task_struct* task, struct task_state* ts,
                                         const struct tl_sysconf* sc, tl_s64 ret, tl_u64 hwm) {
  struct scratch* s = get_scratch();
  if (!s) return;
  struct tl_syscall* ev = (struct tl_syscall*)s->buf;
  ev->h.type = TL_EV_SYSCALL;
  ev->h.tid = BPF_CORE_READ(task, pid);
  ev->h.tgid = BPF_CORE_READ(task, tgid);
  ev->h.ns = ts->ns;
  ev->arch = ts->arch;
  ev->nr = ts->nr;
  __builtin_memcpy(ev->args, ts->args, sizeof ev->args);
  ev->ret = ret;
  ev->exe_id = ts->exe_id;
  ev->vm_hwm_kb = hwm;
  __builtin_memcpy(&ev->creds, &ts->creds, sizeof ev->creds);
  s->off = sizeof(struct tl_syscall);
  s->n = 0;
  ts->ret = ret;
  if (ts->tcreds_ok && ROOM(s->off)) {
    tl_u32 off = s->off;
    struct tl_item* it = item_at(s, off);
    it->kind = TL_IT_TCREDS;
    it->flags = 0;
    it->key = ((tl_u64)ts->tpid << 32) | ts->ttgid;
    it->len = sizeof(struct tl_creds);
    __builtin_memcpy(&s->buf[(off + sizeof(struct tl_item)) & HALF_MASK], &ts->tcreds,
                     sizeof(struct tl_creds));
    s->n++;
    s->off = item_end(off, sizeof(struct tl_creds));
  }
  for (int i = 0; i < TL_NCAP; i++) {
    if (sc->cap[i].kind == TLC_NONE) break;
    capture(s, ts, sc, i);
  }
  tl_u32 off = s->off;
  ev = (struct tl_syscall*)s->buf;
  ev->nitems = s->n;
  ev->h.size = off;
  if (off > HALF) return;
  if (bpf_ringbuf_output(&events, s->buf, off, rb_flags()) != 0) stat_add(TL_ST_DROP_SYSCALL, 1);
}

static __always_inline tl_u64 vm_hwm_kb(struct task_struct* task) {
  struct mm_struct* mm = BPF_CORE_READ(task, mm);
  if (!mm) return 0;
  tl_u64 hiwater = BPF_CORE_READ(mm, hiwater_rss);
  // get_mm_rss(): file + anon + shmem pages (MM_SWAPENTS, index 2, is not resident).
  tl_s64 rss = BPF_CORE_READ(mm, rss_stat[0].count) + BPF_CORE_READ(mm, rss_stat[1].count) +
               BPF_CORE_READ(mm, rss_stat[3].count);
  if (rss > 0 && (tl_u64)rss > hiwater) hiwater = rss;
  return hiwater * PAGE_KB;
}

// The task's executable as items: its path (TL_IT_EXE) and what it is (TL_IT_FILE). `task` is
// the current one (put_path walks up to the current task's root).
static __always_inline void put_exe(struct scratch* s, struct task_struct* task) {
  struct file* exe = BPF_CORE_READ(task, mm, exe_file);
  if (!exe) return;
  put_path(s, (tl_u64)&exe->f_path, TL_IT_EXE, 0);
  struct tl_file fi = {};
  file_info(exe, &fi);
  put_file(s, TL_IT_FILE, 0, &fi);
}

// The id of the task's executable file (exe_ids).
static __noinline tl_u32 exe_id_of(struct task_struct* p) {
  struct exe_key ek = {};
  struct file* exe_file = BPF_CORE_READ(p, mm, exe_file);
  struct inode* exe_ino = BPF_CORE_READ(exe_file, f_inode);
  ek.dev = BPF_CORE_READ(exe_ino, i_sb, s_dev);
  ek.ino = BPF_CORE_READ(exe_ino, i_ino);
  if (bpf_core_field_exists(exe_ino->i_mtime_sec))
    ek.mtime =
        BPF_CORE_READ(exe_ino, i_mtime_sec) * 1000000000ull + BPF_CORE_READ(exe_ino, i_mtime_nsec);
  tl_u32* known = bpf_map_lookup_elem(&exe_ids, &ek);
  if (known) return *known;
  tl_u32 id = __sync_fetch_and_add(&next_exe_id, 1);
  // Full map: a fresh id per exec still counts right, only less compactly.
  bpf_map_update_elem(&exe_ids, &ek, &id, BPF_NOEXIST);
  known = bpf_map_lookup_elem(&exe_ids, &ek);  // another CPU may have won the race
  return known ? *known : id;
}

// Says that `task` is tracked from now on (TL_EV_TRACK), with its cgroups' names, and for an
// attached task its executable (it made no exec the recording saw).
static __noinline void emit_track(struct task_struct* task, struct task_state* ts, int with_exe) {
  struct scratch* s = get_scratch();
  if (!s) return;
  struct tl_track* ev = (struct tl_track*)s->buf;
  ev->h.type = TL_EV_TRACK;
  ev->h.tid = BPF_CORE_READ(task, pid);
  ev->h.tgid = BPF_CORE_READ(task, tgid);
  ev->h.ns = ts->ns;
  ev->exe_id = ts->exe_id;
  struct css_set* cset = BPF_CORE_READ(task, cgroups);
  const char* name = BPF_CORE_READ(cset, dfl_cgrp, kn, name);
  if (bpf_probe_read_kernel_str(ev->cgroup[0], TL_CGROUP_NAME, name) < 0) ev->cgroup[0][0] = 0;
  ev->cgroup[1][0] = 0;
  if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id)) {
    int id = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
    struct cgroup_subsys_state* css = 0;
    bpf_probe_read_kernel(&css, sizeof css, &cset->subsys[id & 15]);
    name = BPF_CORE_READ(css, cgroup, kn, name);
    if (css && bpf_probe_read_kernel_str(ev->cgroup[1], TL_CGROUP_NAME, name) < 0)
      ev->cgroup[1][0] = 0;
  }
  s->off = sizeof(struct tl_track);
  s->n = 0;
  if (with_exe) put_exe(s, task);
  tl_u32 off = s->off;
  ev = (struct tl_track*)s->buf;
  ev->nitems = s->n;
  ev->h.size = off;
  if (off > HALF) return;
  if (bpf_ringbuf_output(&events, s->buf, off, rb_flags()) != 0) stat_add(TL_ST_DROP_EXEC, 1);
}

// A task without storage that starts being recorded here (TL_CT_NEW_PIDNS: at an exec in a
// deeper pid namespace; TL_CT_ATTACH: any call in the attached container's namespace).
static __always_inline struct task_state* adopt(struct task_struct* task,
                                                const struct tl_sysconf* sc) {
  tl_u32 level = 0;
  if (ct_mode == TL_CT_NEW_PIDNS && !(sc->flags & TLS_EXEC)) return 0;
  tl_u32 ns = pidns_of(task, &level);
  if (ct_mode == TL_CT_ATTACH) {
    if (ns != attach_ns) return 0;
  } else {
    if (level <= host_level) return 0;
    ns = ns_token(ns);
    if (!ns) {
      stat_add(TL_ST_NO_STORAGE, 1);
      return 0;
    }
    if (bpf_map_lookup_elem(&ignored_ns, &ns)) return 0;
  }
  struct task_state* ts = bpf_task_storage_get(&tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!ts) {
    stat_add(TL_ST_NO_STORAGE, 1);
    return 0;
  }
  ts->state = TL_TASK_TRACKED;
  ts->ns = ns;
  ts->pending = 0;
  // Exec'ing: counted as the first process before its exec (exe id 0), like an ARMED one.
  ts->exe_id = ct_mode == TL_CT_ATTACH ? exe_id_of(task) : 0;
  emit_track(task, ts, ct_mode == TL_CT_ATTACH);
  return ts;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs* regs, long id) {
  struct task_struct* task = bpf_get_current_task_btf();
  struct task_state* ts = bpf_task_storage_get(&tasks, task, 0, 0);
  if (!ts && ct_mode < TL_CT_NEW_PIDNS) return 0;
  tl_u32 arch = TL_ARCH_X86_64;
  if (BPF_CORE_READ(task, thread_info.status) & TS_COMPAT_)
    arch = TL_ARCH_I386;
  else if (id & X32_BIT)
    arch = TL_ARCH_X32;
  tl_u64 nr = (tl_u64)id & ~(tl_u64)X32_BIT;
  if (nr >= TL_NR_MAX) return 0;  // not a syscall this kernel has (ENOSYS)
  tl_u32 idx = arch * TL_NR_MAX + (tl_u32)nr;
  struct tl_sysconf* sc = bpf_map_lookup_elem(&sysconf, &idx);
  if (!sc) return 0;
  if (!ts) {
    ts = adopt(task, sc);
    if (!ts) return 0;
  } else if (ts->state == TL_TASK_ARMED) {
    if (!(sc->flags & TLS_EXEC)) return 0;
    ts->state = TL_TASK_TRACKED;
  } else if (ts->state == TL_TASK_WATCHED) {
    // The runtime's process becoming the container's: its exec in the container's namespace.
    if (!(sc->flags & TLS_EXEC)) return 0;
    tl_u32 level = 0;
    tl_u32 ns = pidns_of(task, &level);
    if (level <= host_level) return 0;
    ts->state = TL_TASK_TRACKED;
    ts->ns = ns;
    ts->exe_id = 0;
    emit_track(task, ts, 0);
  }

  struct tl_count_key key = {ts->exe_id, (tl_u16)arch, (tl_u16)nr, ts->ns, 0};
  tl_u64* cnt = bpf_map_lookup_elem(&counts, &key);
  if (cnt) {
    (*cnt)++;
  } else {
    tl_u64 one = 1;
    if (bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST) != 0) {
      cnt = bpf_map_lookup_elem(&counts, &key);
      if (cnt)
        (*cnt)++;
      else
        stat_add(TL_ST_DROP_COUNT, 1);
    }
  }

  tl_u64 args[6];
  if (arch == TL_ARCH_I386) {
    args[0] = (tl_u32)regs->bx;
    args[1] = (tl_u32)regs->cx;
    args[2] = (tl_u32)regs->dx;
    args[3] = (tl_u32)regs->si;
    args[4] = (tl_u32)regs->di;
    args[5] = (tl_u32)regs->bp;
  } else {
    args[0] = regs->di;
    args[1] = regs->si;
    args[2] = regs->dx;
    args[3] = regs->r10;
    args[4] = regs->r8;
    args[5] = regs->r9;
  }
  if (sc->fd_arg >= 0 && sc->fd_arg < 6) {
    tl_s32 fd = (tl_s32)args[sc->fd_arg & 7];
    if (fd >= 0 && fd < (1 << 24)) stat_max(TL_ST_MAX_FD, fd);
  }
  if (!(sc->flags & TLS_EMIT)) return 0;
  if (sc->cond_arg < 6 && !(args[sc->cond_arg & 7] & sc->cond_mask)) return 0;

  ts->arch = arch;
  ts->nr = (tl_u32)id;
  ts->idx = idx;
  __builtin_memcpy(ts->args, args, sizeof args);
  read_creds(task, &ts->creds);
  ts->fdfile_ok = 0;
  ts->rlim_ok = 0;
  ts->tcreds_ok = 0;
  for (int i = 0; i < TL_NCAP; i++)
    if (sc->cap[i].kind == TLC_RLIMITS || sc->cap[i].kind == TLC_FD) capture_at_entry(ts, sc, i);
  if (sc->flags & TLS_AT_ENTER) {
    ts->pending = 0;
    emit_syscall(task, ts, sc, 0, vm_hwm_kb(task));
    return 0;
  }
  ts->pending = 1;
  return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs* regs, long ret) {
  struct task_struct* task = bpf_get_current_task_btf();
  struct task_state* ts = bpf_task_storage_get(&tasks, task, 0, 0);
  if (!ts || !ts->pending) return 0;
  ts->pending = 0;
  tl_u32 idx = ts->idx;
  struct tl_sysconf* sc = bpf_map_lookup_elem(&sysconf, &idx);
  if (!sc) return 0;
  emit_syscall(task, ts, sc, ret, 0);
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct* parent, struct task_struct* child) {
  struct task_state* ps = bpf_task_storage_get(&tasks, parent, 0, 0);
  if (!ps || (ps->state != TL_TASK_TRACKED && ps->state != TL_TASK_WATCHED)) return 0;
  struct task_state* cs = bpf_task_storage_get(&tasks, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!cs) {
    if (ps->state == TL_TASK_TRACKED) stat_add(TL_ST_NO_STORAGE, 1);
    return 0;
  }
  cs->state = ps->state;
  cs->exe_id = ps->exe_id;
  cs->ns = ps->ns;
  cs->pending = 0;
  if (ps->state == TL_TASK_WATCHED) return 0;  // the engine's own processes: not recorded
  struct tl_fork ev = {};
  ev.h.type = TL_EV_FORK;
  ev.h.size = sizeof ev;
  ev.h.tid = BPF_CORE_READ(child, pid);
  ev.h.tgid = BPF_CORE_READ(child, tgid);
  ev.h.ns = ps->ns;
  ev.parent_tid = BPF_CORE_READ(parent, pid);
  ev.parent_tgid = BPF_CORE_READ(parent, tgid);
  ev.exe_id = ps->exe_id;
  ev.thread = ev.h.tgid == ev.parent_tgid;
  if (bpf_ringbuf_output(&events, &ev, sizeof ev, rb_flags()) != 0) stat_add(TL_ST_DROP_FORK, 1);
  return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct* p, pid_t old_pid, struct linux_binprm* bprm) {
  struct task_state* ts = bpf_task_storage_get(&tasks, p, 0, 0);
  if (!ts || ts->state != TL_TASK_TRACKED) return 0;
  ts->exe_id = exe_id_of(p);
  struct scratch* s = get_scratch();
  if (!s) return 0;
  struct tl_exec* ev = (struct tl_exec*)s->buf;
  ev->h.type = TL_EV_EXEC;
  ev->h.tid = BPF_CORE_READ(p, pid);
  ev->h.tgid = BPF_CORE_READ(p, tgid);
  ev->h.ns = ts->ns;
  ev->old_tid = old_pid;
  ev->exe_id = ts->exe_id;
  read_creds(p, &ev->creds);
  s->off = sizeof(struct tl_exec);
  s->n = 0;
  put_exe(s, p);
  tl_u32 off = s->off;
  tl_u32 n = s->n;
  const char* filename = BPF_CORE_READ(bprm, filename);
  if (filename && ROOM(off)) {
    struct tl_item* it = item_at(s, off);
    long got = bpf_probe_read_kernel_str(&s->buf[(off + sizeof(struct tl_item)) & HALF_MASK],
                                         TL_PATH_MAX, filename);
    it = item_at(s, off);
    it->kind = TL_IT_FILENAME;
    it->key = 0;
    it->flags = got > 0 ? 0 : TLI_UNREADABLE;
    it->len = got > 0 ? ((tl_u32)got & (TL_PATH_MAX * 2 - 1)) : 0;
    off = item_end(off, it->len);
    n++;
  }
  ev = (struct tl_exec*)s->buf;
  ev->nitems = n;
  ev->h.size = off;
  if (off > HALF) return 0;
  if (bpf_ringbuf_output(&events, s->buf, off, rb_flags()) != 0) stat_add(TL_ST_DROP_EXEC, 1);
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct* p) {
  if (ct_mode == TL_CT_NEW_PIDNS) forget_ended_ns(p);
  struct task_state* ts = bpf_task_storage_get(&tasks, p, 0, 0);
  if (!ts || ts->state != TL_TASK_TRACKED) return 0;
  struct tl_exit ev = {};
  ev.h.type = TL_EV_EXIT;
  ev.h.size = sizeof ev;
  ev.h.tid = BPF_CORE_READ(p, pid);
  ev.h.tgid = BPF_CORE_READ(p, tgid);
  ev.h.ns = ts->ns;
  ev.group_dead = BPF_CORE_READ(p, signal, live.counter) == 0;
  if (ev.group_dead) ev.maxrss_kb = BPF_CORE_READ(p, signal, maxrss) * PAGE_KB;
  if (bpf_ringbuf_output(&events, &ev, sizeof ev, rb_flags()) != 0) stat_add(TL_ST_DROP_EXIT, 1);
  return 0;
}

// The rules for kill() compare the caller's ids with its target's; by the time user space reads
// the record, a target the signal killed is gone. The kernel names the target here, after the
// permission check, while it still exists. (A refused or signal-0 kill reaches no target, and
// leaves it alive to be looked at.)
SEC("tp_btf/signal_generate")
int BPF_PROG(signal_generate, int sig, struct kernel_siginfo* info, struct task_struct* t,
             int group, int result) {
  struct task_struct* cur = bpf_get_current_task_btf();
  struct task_state* ts = bpf_task_storage_get(&tasks, cur, 0, 0);
  if (!ts || !ts->pending || ts->tcreds_ok || !t) return 0;
  read_creds(t, &ts->tcreds);
  ts->tpid = BPF_CORE_READ(t, pid);
  ts->ttgid = BPF_CORE_READ(t, tgid);
  ts->tcreds_ok = 1;
  return 0;
}
