// Syscall sites by disassembly (see syscall_sites.h).
//
// Capstone decodes each executable section linearly (gcc and clang lay functions out back to
// back; SKIPDATA steps over the odd byte that is not an instruction). For each site the
// register that carries the number (eax) is followed backwards through the instructions before
// it: `mov eax, imm` and `xor eax, eax` give the number, `mov eax, REG` moves the question to
// REG, anything else that writes it (a load from memory, arithmetic) or a call/return/jump
// before it ends the search unresolved. Reaching the start of the function with the question on
// an argument register makes the function a wrapper. This is a straight-line analysis: a value
// that arrives through a branch from elsewhere in the function is not seen — such sites stay
// unresolved and are counted, never guessed.
#include "syscall_sites.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "tailor/error.h"

namespace tailor::analyzer {

namespace {

// One owner per Capstone handle and per decoded batch (cs_close / cs_free).
class Disassembler {
 public:
  explicit Disassembler(bool x86_64) {
    if (cs_open(CS_ARCH_X86, x86_64 ? CS_MODE_64 : CS_MODE_32, &h_) != CS_ERR_OK)
      throw Error("capstone: cannot open the x86 disassembler");
    cs_option(h_, CS_OPT_DETAIL, CS_OPT_ON);
    cs_option(h_, CS_OPT_SKIPDATA, CS_OPT_ON);
  }
  ~Disassembler() { cs_close(&h_); }
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;
  csh get() const { return h_; }

 private:
  csh h_ = 0;
};

// One reusable instruction with its detail (cs_malloc / cs_free): cs_disasm over a whole
// section would allocate a detailed cs_insn per instruction (~1.5 MB of detail per 1,000),
// gigabytes for a large binary.
class InsnBuffer {
 public:
  explicit InsnBuffer(csh h) : insn_(cs_malloc(h)) {
    if (!insn_) throw Error("capstone: out of memory");
  }
  ~InsnBuffer() { cs_free(insn_, 1); }
  InsnBuffer(const InsnBuffer&) = delete;
  InsnBuffer& operator=(const InsnBuffer&) = delete;
  cs_insn* get() const { return insn_; }

 private:
  cs_insn* insn_;
};

// What the analysis keeps of an instruction.
struct Insn {
  std::uint64_t addr = 0;
  unsigned id = 0;
  std::uint8_t nops = 0;
  struct Op {
    x86_op_type type = X86_OP_INVALID;
    unsigned reg = 0;
    std::int64_t imm = 0;
  } ops[2];
  bool ends_flow = false;  // ret, jmp, call: the straight line before it is another path
};

// The 64-bit register a (sub)register belongs to, so eax/ax/al all mean rax.
unsigned family(unsigned r) {
  switch (r) {
    case X86_REG_AL:
    case X86_REG_AH:
    case X86_REG_AX:
    case X86_REG_EAX:
    case X86_REG_RAX:
      return X86_REG_RAX;
    case X86_REG_BL:
    case X86_REG_BH:
    case X86_REG_BX:
    case X86_REG_EBX:
    case X86_REG_RBX:
      return X86_REG_RBX;
    case X86_REG_CL:
    case X86_REG_CH:
    case X86_REG_CX:
    case X86_REG_ECX:
    case X86_REG_RCX:
      return X86_REG_RCX;
    case X86_REG_DL:
    case X86_REG_DH:
    case X86_REG_DX:
    case X86_REG_EDX:
    case X86_REG_RDX:
      return X86_REG_RDX;
    case X86_REG_SIL:
    case X86_REG_SI:
    case X86_REG_ESI:
    case X86_REG_RSI:
      return X86_REG_RSI;
    case X86_REG_DIL:
    case X86_REG_DI:
    case X86_REG_EDI:
    case X86_REG_RDI:
      return X86_REG_RDI;
    case X86_REG_R8B:
    case X86_REG_R8W:
    case X86_REG_R8D:
    case X86_REG_R8:
      return X86_REG_R8;
    case X86_REG_R9B:
    case X86_REG_R9W:
    case X86_REG_R9D:
    case X86_REG_R9:
      return X86_REG_R9;
    case X86_REG_R10B:
    case X86_REG_R10W:
    case X86_REG_R10D:
    case X86_REG_R10:
      return X86_REG_R10;
    default:
      return r;
  }
}

// System V x86_64 integer argument registers, in order.
constexpr unsigned kArgRegs[] = {X86_REG_RDI, X86_REG_RSI, X86_REG_RDX,
                                 X86_REG_RCX, X86_REG_R8,  X86_REG_R9};
int arg_index(unsigned fam) {
  for (int i = 0; i < 6; ++i)
    if (kArgRegs[i] == fam) return i;
  return -1;
}
unsigned arg_register(int index) {
  return index >= 0 && index < 6 ? kArgRegs[index] : unsigned{X86_REG_INVALID};
}

// The outcome of following a register backwards.
struct Origin {
  std::optional<std::uint32_t> value;  // a constant
  int arg = -1;                        // an argument of the function, at its entry
};

constexpr int kMaxBack = 64;  // instructions looked at before a site

// Follows `reg` backwards from instruction index `at` (exclusive) to `start` (inclusive).
Origin trace(const std::vector<Insn>& v, std::size_t at, std::size_t start, unsigned reg,
             bool x86_64) {
  unsigned want = family(reg);
  int steps = 0;
  for (std::size_t j = at; j-- > start && steps < kMaxBack; ++steps) {
    const Insn& in = v[j];
    if (in.ends_flow) return {};
    if (in.nops == 0 || in.ops[0].type != X86_OP_REG || family(in.ops[0].reg) != want) continue;
    switch (in.id) {
      case X86_INS_CMP:
      case X86_INS_TEST:
      case X86_INS_PUSH:
        continue;  // read, not written
      case X86_INS_MOV:
        if (in.nops == 2 && in.ops[1].type == X86_OP_IMM)
          return {static_cast<std::uint32_t>(in.ops[1].imm), -1};
        if (in.nops == 2 && in.ops[1].type == X86_OP_REG) {
          want = family(in.ops[1].reg);
          continue;
        }
        return {};
      case X86_INS_XOR:
        if (in.nops == 2 && in.ops[1].type == X86_OP_REG && family(in.ops[1].reg) == want)
          return {0u, -1};
        return {};
      default:
        return {};  // written some other way: not a constant we can see
    }
  }
  // Reached the function's entry (or the look-back limit) with the value still unknown.
  if (x86_64 && steps < kMaxBack) return {std::nullopt, arg_index(want)};
  return {};
}

}  // namespace

std::size_t SiteScan::unresolved() const {
  return static_cast<std::size_t>(std::count_if(sites.begin(), sites.end(), [](const auto& s) {
    return !s.nr && s.kind != SyscallSite::kWrapperCall;
  }));
}

SiteScan find_syscall_sites(const ElfFile& elf, const std::vector<Wrapper>& imported_wrappers) {
  SiteScan out;
  if (elf.machine() != Machine::kX86_64 && elf.machine() != Machine::kI386) return out;
  const bool x86_64 = elf.machine() == Machine::kX86_64;
  Disassembler dis(x86_64);

  // Decode every executable section once.
  std::vector<Insn> v;
  InsnBuffer buf(dis.get());
  for (const auto& code : elf.code()) {
    const std::uint8_t* bytes = code.bytes.data();
    std::size_t size = code.bytes.size();
    std::uint64_t addr = code.addr;
    while (cs_disasm_iter(dis.get(), &bytes, &size, &addr, buf.get())) {
      const cs_insn& ci = *buf.get();
      Insn in;
      in.addr = ci.address;
      in.id = ci.id;
      if (ci.detail) {
        const cs_x86& x = ci.detail->x86;
        in.nops = static_cast<std::uint8_t>(std::min<int>(x.op_count, 2));
        for (int k = 0; k < in.nops; ++k) {
          in.ops[k].type = x.operands[k].type;
          if (x.operands[k].type == X86_OP_REG) in.ops[k].reg = x.operands[k].reg;
          if (x.operands[k].type == X86_OP_IMM) in.ops[k].imm = x.operands[k].imm;
        }
        for (int g = 0; g < ci.detail->groups_count; ++g) {
          const auto grp = ci.detail->groups[g];
          if (grp == CS_GRP_RET || grp == CS_GRP_CALL || grp == CS_GRP_JUMP) in.ends_flow = true;
        }
        // A conditional jump only leaves the straight line on one of its paths; the code
        // before it still reaches the site on the other.
        if (in.ends_flow && in.id != X86_INS_JMP && in.id != X86_INS_CALL && in.id != X86_INS_RET &&
            in.id != X86_INS_RETF)
          in.ends_flow = false;
      }
      v.push_back(in);
    }
  }

  // Instruction index where the function containing index i starts.
  auto function_start = [&](std::size_t i) -> std::pair<std::size_t, std::string> {
    const ElfSymbol* f = elf.function_at(v[i].addr);
    if (!f) return {i > kMaxBack ? i - kMaxBack : 0, ""};
    std::size_t j = i;
    while (j > 0 && v[j - 1].addr >= f->addr && v[j - 1].addr < v[i].addr) --j;
    return {j, f->name};
  };

  // 1. Direct sites.
  std::map<std::uint64_t, int> wrapper_entry;  // function address -> argument carrying nr
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Insn& in = v[i];
    SyscallSite s;
    if (in.id == X86_INS_SYSCALL) {
      s.kind = SyscallSite::kSyscall;
    } else if (in.id == X86_INS_SYSENTER) {
      s.kind = SyscallSite::kSysenter;
    } else if (in.id == X86_INS_INT && in.nops == 1 && in.ops[0].type == X86_OP_IMM &&
               in.ops[0].imm == 0x80) {
      s.kind = SyscallSite::kInt80;
    } else {
      continue;
    }
    s.addr = in.addr;
    auto [start, fname] = function_start(i);
    s.function = fname;
    Origin o = trace(v, i, start, X86_REG_RAX, x86_64);
    s.nr = o.value;
    if (!s.nr && o.arg >= 0 && !fname.empty()) {
      if (const ElfSymbol* f = elf.function_at(in.addr)) wrapper_entry[f->addr] = o.arg;
      out.wrappers.push_back({fname, o.arg});
    }
    out.sites.push_back(std::move(s));
  }

  // 2. Calls (and tail jumps) to wrappers: this object's own, and imported ones via the PLT.
  std::map<std::uint64_t, std::pair<std::string, int>> targets;
  for (const auto& [addr, arg] : wrapper_entry) {
    const ElfSymbol* f = elf.function_at(addr);
    targets[addr] = {f ? f->name : "", arg};
  }
  for (const auto& imp : elf.imports())
    for (const auto& w : imported_wrappers)
      if (imp.plt_addr && imp.symbol == w.function) targets[imp.plt_addr] = {w.function, w.arg};
  if (!targets.empty()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      const Insn& in = v[i];
      if ((in.id != X86_INS_CALL && in.id != X86_INS_JMP) || in.nops != 1 ||
          in.ops[0].type != X86_OP_IMM)
        continue;
      auto t = targets.find(static_cast<std::uint64_t>(in.ops[0].imm));
      if (t == targets.end()) continue;
      SyscallSite s;
      s.kind = SyscallSite::kWrapperCall;
      s.addr = in.addr;
      s.wrapper = t->second.first;
      auto [start, fname] = function_start(i);
      s.function = fname;
      if (x86_64) s.nr = trace(v, i, start, arg_register(t->second.second), true).value;
      out.sites.push_back(std::move(s));
    }
  }
  std::sort(out.sites.begin(), out.sites.end(),
            [](const SyscallSite& a, const SyscallSite& b) { return a.addr < b.addr; });
  return out;
}

}  // namespace tailor::analyzer
