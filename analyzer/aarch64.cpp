// aarch64 syscall sites and call graph (see aarch64.h), the counterpart of the x86 analysis in
// syscall_sites.cpp.
//
// Linux on aarch64 enters the kernel with `svc` (the kernel ignores its immediate; glibc and
// musl write `svc #0`), the number in x8 and the arguments in x0..x5. Capstone decodes each
// executable section linearly (fixed 4-byte instructions; SKIPDATA steps over literal pools).
// For each site x8 is followed backwards inside its function along every predecessor:
// `mov`/`movz`/`movn` of an immediate and `orr wN, wzr, #imm` give the number, `mov x8, xN`
// moves the question to xN, `adrp`+`add` gives an address (for dlopen's file name), anything
// else that writes the register makes that path unknown, and a `bl`/`blr` on the path clobbers
// the caller-saved registers (AAPCS64: x0..x18, x30). Reaching the function's entry with the
// question on x0..x7 makes the function a wrapper on that argument (libc's syscall():
// `mov x8, x0`), resolved at its callers like the x86 wrappers.
//
// Object files (ET_REL): the reader lays their sections out one after another (elf_file.h), but
// their calls to other sections are still relocations whose instruction names itself: each
// section is searched on its own, a branch to itself is a relocation and no edge, and the
// analysis sets whole_object (every site counts), as there is no linked call graph to follow.
#include <capstone/capstone.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "aarch64.h"
#include "capstone.h"
#include "dataflow.h"
#include "tailor/error.h"

namespace tailor::analyzer {

namespace {

// family() maps w<n> to x<n> by offset: Capstone numbers both runs consecutively (x29/x30 and
// w29/w30 sit elsewhere in its enum and are mapped one by one).
static_assert(ARM64_REG_X28 - ARM64_REG_X0 == 28 && ARM64_REG_W28 - ARM64_REG_W0 == 28);

// The 64-bit register a register belongs to (w8 -> x8, wzr -> xzr, wsp -> sp).
unsigned family(unsigned r) {
  if (r >= ARM64_REG_W0 && r <= ARM64_REG_W28) return ARM64_REG_X0 + (r - ARM64_REG_W0);
  switch (r) {
    case ARM64_REG_W29:
      return ARM64_REG_X29;
    case ARM64_REG_W30:
      return ARM64_REG_X30;
    case ARM64_REG_WZR:
      return ARM64_REG_XZR;
    case ARM64_REG_WSP:
      return ARM64_REG_SP;
    default:
      return r;
  }
}

// x<n> -> n for the general registers x0..x30, -1 for anything else (sp, xzr, vector ...).
int x_index(unsigned fam) {
  if (fam >= ARM64_REG_X0 && fam <= ARM64_REG_X28) return static_cast<int>(fam - ARM64_REG_X0);
  if (fam == ARM64_REG_X29) return 29;
  if (fam == ARM64_REG_X30) return 30;
  return -1;
}

// n -> x<n> for 0..30.
unsigned x_reg(std::size_t n) {
  if (n == 29) return ARM64_REG_X29;
  if (n == 30) return ARM64_REG_X30;
  return ARM64_REG_X0 + static_cast<unsigned>(n);
}

bool is_w(unsigned r) {
  return (r >= ARM64_REG_W0 && r <= ARM64_REG_W28) || r == ARM64_REG_W29 || r == ARM64_REG_W30 ||
         r == ARM64_REG_WZR || r == ARM64_REG_WSP;
}

// What the analysis keeps of an instruction.
struct Insn {
  std::uint64_t addr = 0;
  // Bit n set: the instruction writes x<n> (or w<n>), from Capstone's operand access flags,
  // its implicit writes and base-register writeback; see decode().
  std::uint32_t writes = 0;
  std::uint16_t id = 0;
  std::uint8_t nops = 0;
  bool cond = false;  // a conditional `b.cc`
  struct Op {
    std::uint8_t type = ARM64_OP_INVALID;
    std::uint8_t shift = 0;  // IMM: `lsl #shift`
    std::uint16_t reg = 0;   // REG: the register; MEM: the base register
    std::int64_t val = 0;    // IMM: the value; MEM: the displacement
  } ops[3];
};

// A decoded executable section: its instructions are v[first, last), in address order.
struct Unit {
  std::string name;
  std::uint64_t lo = 0, hi = 0;  // [lo, hi) in the object's addresses
  std::uint32_t first = 0, last = 0;
};

// Branches with an immediate target (the last immediate operand): b, b.cc, bl, cbz, cbnz, tbz,
// tbnz.
bool is_direct_branch(const Insn& in) {
  switch (in.id) {
    case ARM64_INS_B:
    case ARM64_INS_BL:
    case ARM64_INS_CBZ:
    case ARM64_INS_CBNZ:
    case ARM64_INS_TBZ:
    case ARM64_INS_TBNZ:
      return in.nops >= 1 && in.ops[in.nops - 1].type == ARM64_OP_IMM;
    default:
      return false;
  }
}
std::uint64_t branch_target(const Insn& in) {
  return static_cast<std::uint64_t>(in.ops[in.nops - 1].val);
}

// Control never falls through to the next instruction.
bool ends_flow(const Insn& in) {
  return (in.id == ARM64_INS_B && !in.cond) || in.id == ARM64_INS_BR || in.id == ARM64_INS_RET ||
         in.id == ARM64_INS_ERET;
}

bool is_plt(const std::string& section) {
  return section == ".plt" || section == ".iplt";
}

// Decodes every executable section once, in address order (the reader keeps them disjoint). PLT
// stubs are left out: they are not functions, calls to them are imports.
std::vector<Insn> decode(const ElfFile& elf, std::vector<Unit>& units) {
  Disassembler dis(CS_ARCH_ARM64, CS_MODE_ARM, "aarch64");
  InsnBuffer buf(dis.get());
  std::vector<const ElfCode*> sections;
  for (const auto& c : elf.code())
    if (!is_plt(c.name) && !c.bytes.empty()) sections.push_back(&c);
  std::stable_sort(sections.begin(), sections.end(),
                   [](const ElfCode* a, const ElfCode* b) { return a->addr < b->addr; });
  std::vector<Insn> v;
  std::size_t total = 0;
  for (const auto* c : sections) total += c->bytes.size();
  v.reserve(total / 4);
  for (const auto* code : sections) {
    Unit unit;
    unit.name = code->name;
    unit.lo = code->addr;
    unit.hi = code->addr + code->bytes.size();
    unit.first = static_cast<std::uint32_t>(v.size());
    const std::uint8_t* bytes = code->bytes.data();
    std::size_t size = code->bytes.size();
    std::uint64_t addr = code->addr;
    while (cs_disasm_iter(dis.get(), &bytes, &size, &addr, buf.get())) {
      const cs_insn& ci = *buf.get();
      Insn in;
      in.addr = ci.address;
      in.id = static_cast<std::uint16_t>(ci.id);
      if (ci.detail) {
        const cs_arm64& a = ci.detail->arm64;
        in.cond = ci.id == ARM64_INS_B && a.cc != ARM64_CC_INVALID && a.cc != ARM64_CC_AL &&
                  a.cc != ARM64_CC_NV;
        in.nops = static_cast<std::uint8_t>(std::min<int>(a.op_count, 3));
        for (int k = 0; k < in.nops; ++k) {
          const cs_arm64_op& o = a.operands[k];
          in.ops[k].type = static_cast<std::uint8_t>(o.type);
          if (o.type == ARM64_OP_REG) in.ops[k].reg = static_cast<std::uint16_t>(o.reg);
          if (o.type == ARM64_OP_IMM) {
            in.ops[k].val = o.imm;
            if (o.shift.type == ARM64_SFT_LSL && o.shift.value < 64)
              in.ops[k].shift = static_cast<std::uint8_t>(o.shift.value);
          }
          if (o.type == ARM64_OP_MEM) {
            in.ops[k].reg = static_cast<std::uint16_t>(o.mem.base);
            in.ops[k].val = o.mem.disp;
            // An indexed operand names no single address.
            if (o.mem.index != ARM64_REG_INVALID) in.ops[k].reg = ARM64_REG_ENDING;
          }
        }
        // Capstone 4 marks the first operand of the flag-setting comparisons as written;
        // they only write NZCV.
        const bool flags_only = ci.id == ARM64_INS_CMP || ci.id == ARM64_INS_CMN ||
                                ci.id == ARM64_INS_TST || ci.id == ARM64_INS_CCMP ||
                                ci.id == ARM64_INS_CCMN;
        const auto mark = [&](unsigned reg) {
          if (const int n = x_index(family(reg)); n >= 0) in.writes |= 1u << n;
        };
        for (int k = 0; k < a.op_count; ++k) {
          const cs_arm64_op& o = a.operands[k];
          // No access information on a destination counts as a write: unknown, never a
          // wrong constant.
          if (o.type == ARM64_OP_REG && !flags_only &&
              ((o.access & CS_AC_WRITE) || (k == 0 && o.access == 0)))
            mark(o.reg);
          // Pre- and post-indexed loads and stores update their base register.
          if (o.type == ARM64_OP_MEM && a.writeback) mark(o.mem.base);
        }
        for (int k = 0; k < ci.detail->regs_write_count; ++k) mark(ci.detail->regs_write[k]);
        // The kernel returns the result in x0.
        if (ci.id == ARM64_INS_SVC) in.writes |= 1u;
      }
      // Bytes that are no instruction (SKIPDATA: a literal pool): anything may have changed.
      if (ci.id == ARM64_INS_INVALID || !ci.detail) in.writes = ~0u;
      v.push_back(in);
    }
    unit.last = static_cast<std::uint32_t>(v.size());
    if (unit.last > unit.first) units.push_back(std::move(unit));
  }
  return v;
}

// Argument registers and what survives a call. AAPCS64 for C: arguments in x0..x7, x19..x28
// and the frame pointer are callee-saved. Go's internal register ABI (arm64, Go >= 1.18):
// arguments in x0..x15, and a call keeps nothing but the stack, frame pointer and x28 (g).
struct Abi {
  int args = 8;
  bool go = false;
  int arg_index(unsigned fam) const {
    const int n = x_index(fam);
    return n >= 0 && n < args ? n : -1;
  }
  bool survives_call(unsigned fam) const {
    if (go) return fam == ARM64_REG_X28 || fam == ARM64_REG_X29 || fam == ARM64_REG_SP;
    return (fam >= ARM64_REG_X19 && fam <= ARM64_REG_X28) || fam == ARM64_REG_X29 ||
           fam == ARM64_REG_SP;
  }
};
const Abi kAapcs{8, false};
const Abi kGo{16, true};

// The aarch64 steps of the backward search (dataflow.h, as for x86): along each path the first
// instruction that writes the register decides; a branch without link or a return does not
// fall through.
class Tracer {
 public:
  Tracer(const std::vector<Insn>& v, const std::vector<std::uint32_t>& first,
         const std::vector<std::uint32_t>& fn, const Abi& abi,
         std::function<std::optional<std::uint32_t>(std::size_t)> target_index)
      : v_(v), first_(first), fn_(fn), abi_(abi), target_index_(std::move(target_index)) {}

  // The values `reg` can hold just before instruction `at` executes. `addresses`: adr and
  // adrp+add count as constants (a file name for dlopen); for a syscall number they do not.
  Origin trace(std::size_t at, unsigned reg, bool addresses = false) {
    const std::uint32_t f = fn_[at];
    const std::size_t start = first_[f];
    const std::size_t end = f + 1 < first_.size() ? first_[f + 1] : v_.size();
    const auto& branches = predecessors(f, start, end);
    const auto preds = [&](std::size_t pos) {
      std::vector<std::size_t> from;
      if (!ends_flow(v_[pos - 1])) from.push_back(pos - 1);
      if (auto it = branches.find(pos); it != branches.end())
        for (std::size_t b : it->second) from.push_back(b);
      return from;
    };
    const auto entry_arg = [&](unsigned want) { return abi_.arg_index(want); };
    const auto step = [&](std::size_t p, unsigned want, Origin& out,
                          std::set<std::uint64_t>& values, TraceWork& work) {
      this->step(p, want, addresses, branches, out, values, work);
    };
    return trace_back(at, start, family(reg), preds, entry_arg, step);
  }

 private:
  using Preds = std::map<std::size_t, std::vector<std::size_t>>;

  // Instruction `p` runs before the state: what it does to `want`.
  void step(std::size_t p, unsigned want, bool addresses, const Preds& preds, Origin& out,
            std::set<std::uint64_t>& values,
            std::vector<std::pair<std::size_t, unsigned>>& work) const {
    const Insn& in = v_[p];
    if (in.id == ARM64_INS_BL || in.id == ARM64_INS_BLR) {
      if (abi_.survives_call(want)) {
        work.emplace_back(p, want);
      } else {
        out.unknown = true;
      }
      return;
    }
    const int n = x_index(want);
    if (n < 0 || !(in.writes & (1u << n))) {
      work.emplace_back(p, want);
      return;
    }
    // It writes `want`: only a destination in operand 0 can say with what.
    if (in.nops == 0 || in.ops[0].type != ARM64_OP_REG || family(in.ops[0].reg) != want) {
      out.unknown = true;
      return;
    }
    const bool w = is_w(in.ops[0].reg);
    const auto value = [&](std::uint64_t x) { values.insert(w ? x & 0xffffffffu : x); };
    const Insn::Op& src = in.ops[1];
    switch (in.id) {
      case ARM64_INS_MOV:
        if (in.nops == 2 && src.type == ARM64_OP_IMM) {
          value(static_cast<std::uint64_t>(src.val));
          return;
        }
        if (in.nops == 2 && src.type == ARM64_OP_REG) {
          if (family(src.reg) == ARM64_REG_XZR) {
            value(0);
          } else {
            work.emplace_back(p, family(src.reg));  // mov x8, xN: the question moves to xN
          }
          return;
        }
        break;
      case ARM64_INS_MOVZ:
        if (in.nops == 2 && src.type == ARM64_OP_IMM) {
          value(static_cast<std::uint64_t>(src.val) << src.shift);
          return;
        }
        break;
      case ARM64_INS_MOVN:
        if (in.nops == 2 && src.type == ARM64_OP_IMM) {
          value(~(static_cast<std::uint64_t>(src.val) << src.shift));
          return;
        }
        break;
      case ARM64_INS_ORR:  // orr wN, wzr, #imm: the bitmask-immediate form of mov
        if (in.nops == 3 && src.type == ARM64_OP_REG && family(src.reg) == ARM64_REG_XZR &&
            in.ops[2].type == ARM64_OP_IMM) {
          value(static_cast<std::uint64_t>(in.ops[2].val));
          return;
        }
        break;
      case ARM64_INS_ADR:
        if (addresses && in.nops == 2 && src.type == ARM64_OP_IMM) {
          value(static_cast<std::uint64_t>(src.val));
          return;
        }
        break;
      case ARM64_INS_ADD:
        // adrp xN, page; ...; add x, xN, #lo12: an address.
        if (addresses && in.nops == 3 && src.type == ARM64_OP_REG &&
            in.ops[2].type == ARM64_OP_IMM) {
          if (auto pg = page_before(p, family(src.reg), preds)) {
            value(*pg + (static_cast<std::uint64_t>(in.ops[2].val) << in.ops[2].shift));
            return;
          }
        }
        break;
      default:
        break;
    }
    out.unknown = true;  // written some other way: not a constant we can see
  }

  // The page an `adrp` left in `reg` before instruction p, on the straight line that leads to
  // p alone (no branch into it, no call in between); the compiler schedules the pair a few
  // instructions apart at most.
  std::optional<std::uint64_t> page_before(std::size_t p, unsigned reg, const Preds& preds) const {
    const int n = x_index(reg);
    if (n < 0) return std::nullopt;
    const std::size_t start = first_[fn_[p]];
    for (std::size_t pos = p, steps = 0; pos > start && steps < 16; --pos, ++steps) {
      if (preds.count(pos)) return std::nullopt;
      const Insn& prev = v_[pos - 1];
      if (ends_flow(prev) || prev.id == ARM64_INS_BL || prev.id == ARM64_INS_BLR)
        return std::nullopt;
      if (!(prev.writes & (1u << n))) continue;
      if (prev.id == ARM64_INS_ADRP && prev.nops == 2 && prev.ops[0].type == ARM64_OP_REG &&
          prev.ops[1].type == ARM64_OP_IMM)
        return static_cast<std::uint64_t>(prev.ops[1].val);
      return std::nullopt;
    }
    return std::nullopt;
  }

  // Branch target (instruction index) -> indexes of the direct branches to it, inside f.
  const Preds& predecessors(std::uint32_t f, std::size_t start, std::size_t end) {
    auto [it, fresh] = preds_.try_emplace(f);
    if (fresh) {
      for (std::size_t i = start; i < end; ++i) {
        if (!is_direct_branch(v_[i]) || v_[i].id == ARM64_INS_BL) continue;
        if (auto t = target_index_(i); t && *t >= start && *t < end) it->second[*t].push_back(i);
      }
    }
    return it->second;
  }

  const std::vector<Insn>& v_;
  const std::vector<std::uint32_t>& first_;
  const std::vector<std::uint32_t>& fn_;
  const Abi& abi_;
  std::function<std::optional<std::uint32_t>(std::size_t)> target_index_;
  std::map<std::uint32_t, Preds> preds_;
};

}  // namespace

ObjectAnalysis analyze_aarch64(const ElfFile& elf, const std::vector<Wrapper>& imported_wrappers) {
  ObjectAnalysis out;
  const bool rel = elf.kind() == ElfKind::kRelocatable;
  // An object file has no linked call graph; Go's runtime calls through closures and interface
  // tables (as on x86): every site counts.
  const bool go = elf.is_go();
  const Abi& abi = go ? kGo : kAapcs;
  out.whole_object = rel || go;
  std::vector<Unit> units;
  const std::vector<Insn> v = decode(elf, units);
  if (v.empty()) return out;

  // -- Addresses to instructions ---------------------------------------------------------------
  // The unit holding `addr`: the branch's own section in an object file (sections overlap
  // there), else the section whose range contains it.
  const auto unit_of = [&](std::uint64_t addr) -> const Unit* {
    for (const auto& u : units)
      if (addr >= u.lo && addr < u.hi) return &u;
    return nullptr;
  };
  std::vector<std::uint32_t> unit_index(v.size(), 0);
  for (std::uint32_t u = 0; u < units.size(); ++u)
    for (std::uint32_t i = units[u].first; i < units[u].last; ++i) unit_index[i] = u;
  // The instruction at exactly `addr` in unit u.
  const auto exact = [&](const Unit& u, std::uint64_t addr) -> std::optional<std::uint32_t> {
    auto b = v.begin() + u.first, e = v.begin() + u.last;
    auto it =
        std::lower_bound(b, e, addr, [](const Insn& in, std::uint64_t a) { return in.addr < a; });
    if (it == e || it->addr != addr) return std::nullopt;
    return static_cast<std::uint32_t>(it - v.begin());
  };
  const auto exact_anywhere = [&](std::uint64_t addr) -> std::optional<std::uint32_t> {
    const Unit* u = unit_of(addr);
    return u ? exact(*u, addr) : std::nullopt;
  };
  // The instruction a direct branch at i targets. In an object file a branch that names itself
  // is an unrelocated call or jump to another section or symbol: no target.
  const auto target_index = [&](std::size_t i) -> std::optional<std::uint32_t> {
    const Insn& in = v[i];
    if (!is_direct_branch(in)) return std::nullopt;
    const std::uint64_t t = branch_target(in);
    if (rel) {
      if (t == in.addr) return std::nullopt;
      return exact(units[unit_index[i]], t);
    }
    const Unit* u = unit_of(t);
    return u ? exact(*u, t) : std::nullopt;
  };

  // -- Function starts (instruction indexes) ---------------------------------------------------
  std::vector<std::uint32_t> starts;
  for (const auto& u : units) starts.push_back(u.first);
  // An object file's symbols move with their sections as the reader lays them out (elf_file.h).
  for (const auto& s : elf.symbols())
    if (s.function && s.defined)
      if (auto i = exact_anywhere(s.addr)) starts.push_back(*i);
  if (!rel) {
    for (auto a : elf.unwind_starts())
      if (auto i = exact_anywhere(a)) starts.push_back(*i);
    for (auto a : elf.init_functions())
      if (auto i = exact_anywhere(a)) starts.push_back(*i);
    if (auto i = exact_anywhere(elf.entry())) starts.push_back(*i);
  }
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].id == ARM64_INS_BL)
      if (auto t = target_index(i)) starts.push_back(*t);
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());

  // Names: the symbol at the start.
  out.functions.resize(starts.size());
  for (std::size_t f = 0; f < starts.size(); ++f) {
    const Insn& in = v[starts[f]];
    out.functions[f].addr = in.addr;
    if (const ElfSymbol* sym = elf.function_at(in.addr); sym && sym->addr == in.addr)
      out.functions[f].name = sym->name;
    if (out.functions[f].name.empty()) {
      // A function without a symbol (stripped) is named by its address, as disassemblers do.
      char name[32];
      std::snprintf(name, sizeof name, "sub_%llx", static_cast<unsigned long long>(in.addr));
      out.functions[f].name = name;
    }
  }
  // Each function's first instruction and each instruction's function.
  const std::vector<std::uint32_t>& first = starts;
  std::vector<std::uint32_t> fn(v.size(), 0);
  for (std::size_t i = 0, f = 0; i < v.size(); ++i) {
    while (f + 1 < starts.size() && i >= starts[f + 1]) ++f;
    fn[i] = static_cast<std::uint32_t>(f);
  }
  const auto is_start = [&](std::uint32_t i) { return first[fn[i]] == i; };
  // The function containing `addr` (linked objects), -1 if none.
  const auto func_of = [&](std::uint64_t addr) -> int {
    const Unit* u = rel ? nullptr : unit_of(addr);
    if (!u) return -1;
    auto b = v.begin() + u->first, e = v.begin() + u->last;
    auto it =
        std::upper_bound(b, e, addr, [](std::uint64_t a, const Insn& in) { return a < in.addr; });
    if (it == b) return -1;
    return static_cast<int>(fn[static_cast<std::size_t>(it - v.begin() - 1)]);
  };

  // -- Imports: PLT stubs and GOT slots of imported symbols ------------------------------------
  std::map<std::uint64_t, std::string> plt, got_slot;
  if (!rel) {
    for (const auto& imp : elf.imports()) {
      if (imp.plt_addr) plt[imp.plt_addr] = imp.symbol;
      got_slot[imp.got_addr] = imp.symbol;
    }
  }
  std::map<std::string, std::set<std::uint32_t>> import_users;  // symbol -> functions
  std::vector<std::set<std::uint32_t>> callees(starts.size());

  // -- One pass: sites, edges, address-taken functions, imported calls -------------------------
  std::map<std::uint32_t, int> wrapper_entry;  // function -> argument carrying nr
  std::vector<std::uint32_t> site_fn;          // the function of each site
  Tracer tracer(v, first, fn, abi, target_index);
  const auto add_sites = [&](SyscallSite s, const Origin& o, std::uint32_t f) {
    add_traced_sites(std::move(s), o, f, out.sites, site_fn);
  };
  // adrp pages held by x0..x30 along the straight line (linked objects: an object file's adrp
  // is a relocation), for `add xD, xN, #lo12` (a function's address) and `ldr xD, [xN, #lo12]`
  // (a GOT slot: an imported function's address).
  std::array<std::optional<std::uint64_t>, 31> page;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Insn& in = v[i];
    const std::uint32_t f = fn[i];
    if (is_start(static_cast<std::uint32_t>(i))) page.fill(std::nullopt);
    if (in.id == ARM64_INS_SVC) {
      SyscallSite s;
      s.kind = SyscallSite::kSvc;
      s.addr = in.addr;
      s.function = out.functions[f].name;
      const Origin o = tracer.trace(i, ARM64_REG_X8);
      if (o.arg >= 0) wrapper_entry[f] = o.arg;
      add_sites(std::move(s), o, f);
    } else if (is_direct_branch(in)) {
      const std::uint64_t t = branch_target(in);
      if (auto p = plt.find(t); p != plt.end()) {
        import_users[p->second].insert(f);
      } else if (auto ti = target_index(i); ti && fn[*ti] != f) {
        callees[f].insert(fn[*ti]);
      }
    } else if (!rel) {
      const auto page_of = [&](const Insn::Op& op) -> std::optional<std::uint64_t> {
        const int n = x_index(family(op.reg));
        return n >= 0 ? page[static_cast<std::size_t>(n)] : std::nullopt;
      };
      std::optional<std::uint64_t> taken;
      if (in.id == ARM64_INS_ADR && in.nops == 2 && in.ops[1].type == ARM64_OP_IMM)
        taken = static_cast<std::uint64_t>(in.ops[1].val);
      if (in.id == ARM64_INS_ADD && in.nops == 3 && in.ops[1].type == ARM64_OP_REG &&
          in.ops[2].type == ARM64_OP_IMM)
        if (auto pg = page_of(in.ops[1]))
          taken = *pg + (static_cast<std::uint64_t>(in.ops[2].val) << in.ops[2].shift);
      if (taken) {
        if (auto ti = exact_anywhere(*taken); ti && is_start(*ti)) callees[f].insert(fn[*ti]);
      }
      if (in.id == ARM64_INS_LDR && in.nops == 2 && in.ops[1].type == ARM64_OP_MEM)
        if (auto pg = page_of(in.ops[1]))
          if (auto g = got_slot.find(*pg + static_cast<std::uint64_t>(in.ops[1].val));
              g != got_slot.end())
            import_users[g->second].insert(f);
    }
    // Keep the pages up to date: what the instruction wrote is no longer a page.
    for (std::size_t n = 0; n < page.size(); ++n)
      if (in.writes & (1u << n)) page[n].reset();
    if (in.id == ARM64_INS_BL || in.id == ARM64_INS_BLR) {
      for (std::size_t n = 0; n < page.size(); ++n)
        if (!abi.survives_call(x_reg(n))) page[n].reset();
    }
    if (ends_flow(in)) page.fill(std::nullopt);
    if (!rel && in.id == ARM64_INS_ADRP && in.nops == 2 && in.ops[0].type == ARM64_OP_REG &&
        in.ops[1].type == ARM64_OP_IMM)
      if (const int n = x_index(family(in.ops[0].reg)); n >= 0)
        page[static_cast<std::size_t>(n)] = static_cast<std::uint64_t>(in.ops[1].val);
  }

  // -- Wrappers: calls to this object's wrappers and to imported ones (through the PLT) --------
  // A call whose number comes from the caller's own argument makes the caller a wrapper too;
  // repeat until nothing new. Calls are `bl` and tail calls `b`.
  std::map<std::uint64_t, std::pair<std::string, int>> plt_wrappers;  // stub -> wrapper, arg
  for (const auto& imp : elf.imports())
    for (const auto& w : imported_wrappers)
      if (!rel && imp.plt_addr && imp.symbol == w.function)
        plt_wrappers[imp.plt_addr] = {w.function, w.arg};
  // Go's syscall functions, which take the number in x0 (syscall.Syscall(trap, ...)).
  std::map<std::uint32_t, std::pair<std::string, int>> go_targets;  // function -> wrapper, arg
  if (go && !rel)
    for (const auto& w : go_wrappers())
      for (const auto& sym : elf.symbols())
        if (sym.function && sym.defined && sym.name == w.function)
          if (auto i = exact_anywhere(sym.addr); i && is_start(*i))
            go_targets[fn[*i]] = {w.function, w.arg};
  std::set<std::size_t> done_calls;
  for (int round = 0; round < 4; ++round) {
    bool grew = false;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const Insn& in = v[i];
      if ((in.id != ARM64_INS_BL && in.id != ARM64_INS_B) || !is_direct_branch(in) ||
          done_calls.count(i))
        continue;
      std::optional<std::pair<std::string, int>> callee;
      if (auto p = plt_wrappers.find(branch_target(in)); p != plt_wrappers.end()) {
        callee = p->second;
      } else if (auto ti = target_index(i); ti && is_start(*ti) && fn[*ti] != fn[i]) {
        if (auto g = go_targets.find(fn[*ti]); g != go_targets.end()) {
          callee = g->second;
        } else if (auto w = wrapper_entry.find(fn[*ti]); w != wrapper_entry.end()) {
          callee = {out.functions[w->first].name, w->second};
        }
      }
      if (!callee) continue;
      done_calls.insert(i);
      const std::uint32_t f = fn[i];
      SyscallSite s;
      s.kind = SyscallSite::kWrapperCall;
      s.addr = in.addr;
      s.wrapper = callee->first;
      s.function = out.functions[f].name;
      // An argument past the argument registers is on the stack: not followed.
      Origin o;
      if (callee->second >= 0 && callee->second < abi.args) {
        o = tracer.trace(i, x_reg(static_cast<std::size_t>(callee->second)));
      } else {
        o.unknown = true;
      }
      if (o.arg >= 0) grew |= wrapper_entry.emplace(f, o.arg).second;
      add_sites(std::move(s), o, f);
    }
    if (!grew) break;
  }
  for (const auto& [f, arg] : wrapper_entry) out.wrappers.push_back({out.functions[f].name, arg});

  // -- dlopen with a constant name (adrp+add into x0, or x1 for dlmopen) -----------------------
  {
    std::set<std::string> names;
    std::map<std::uint64_t, unsigned> dl;  // stub -> register holding the file name
    for (const auto& [stub, sym] : plt) {
      if (sym == "dlopen" || sym == "__libc_dlopen_mode") dl[stub] = ARM64_REG_X0;
      if (sym == "dlmopen") dl[stub] = ARM64_REG_X1;
    }
    if (!dl.empty()) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        const Insn& in = v[i];
        if ((in.id != ARM64_INS_BL && in.id != ARM64_INS_B) || !is_direct_branch(in)) continue;
        auto d = dl.find(branch_target(in));
        if (d == dl.end()) continue;
        for (std::uint64_t a : tracer.trace(i, d->second, true).values)
          if (auto str = elf.string_at(a); str && !str->empty()) names.insert(*str);
      }
    }
    out.dlopen.assign(names.begin(), names.end());
  }

  finish_object(elf,
                ObjectParts{std::move(out.sites), std::move(site_fn), std::move(import_users),
                            std::move(callees)},
                func_of, out);
  return out;
}

}  // namespace tailor::analyzer
