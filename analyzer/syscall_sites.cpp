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
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <utility>

#include "aarch64.h"
#include "capstone.h"
#include "dataflow.h"
#include "tailor/error.h"

namespace tailor::analyzer {

namespace {

// What the analysis keeps of an instruction.
// Kept for every instruction of the object while its graph is built (millions for a large
// library): the members are ordered so that the whole is 48 bytes, without padding holes.
struct Insn {
  std::uint64_t addr = 0;
  struct Op {
    std::int64_t val = 0;   // IMM: the value; MEM: the displacement
    std::uint16_t reg = 0;  // REG: the register; MEM: the base register
    std::uint16_t seg = 0;  // MEM: the segment register
    std::uint8_t type = X86_OP_INVALID;
    std::uint8_t size = 0;  // bytes the operand reads or writes
  } ops[2];
  std::uint16_t id = 0;
  std::uint8_t size = 0;
  std::uint8_t nops = 0;
  bool ends_flow = false;  // ret, jmp, call: the straight line before it is another path
};
static_assert(sizeof(Insn) == 48);

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
    case X86_REG_R11B:
    case X86_REG_R11W:
    case X86_REG_R11D:
    case X86_REG_R11:
      return X86_REG_R11;
    default:
      return r;
  }
}

// Integer argument registers, in order: System V for C on x86_64; Go's internal register ABI
// (Go >= 1.17) for Go binaries. i386 passes arguments on the stack: no wrappers there.
struct Abi {
  std::vector<unsigned> args;
  std::vector<unsigned> callee_saved;  // registers a call leaves as they were
  int arg_index(unsigned fam) const {
    for (std::size_t i = 0; i < args.size(); ++i)
      if (args[i] == fam) return static_cast<int>(i);
    return -1;
  }
  unsigned arg_register(int index) const {
    return index >= 0 && static_cast<std::size_t>(index) < args.size()
               ? args[static_cast<std::size_t>(index)]
               : unsigned{X86_REG_INVALID};
  }
};
const Abi kSysV{{X86_REG_RDI, X86_REG_RSI, X86_REG_RDX, X86_REG_RCX, X86_REG_R8, X86_REG_R9},
                {X86_REG_RBX, X86_REG_RBP, X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15}};
// Go's register ABI (ABIInternal) keeps nothing across a call. Go's assembly functions use
// ABI0 instead, every argument on the stack; an argument index past the registers names a
// stack word: kGo.args.size() + k is the k-th word of the stack arguments ([rsp+8+8k] at the
// callee's entry, [rsp+8k] at a call). That is where ABI0 takes its first argument (the
// syscall number of syscall.rawSyscallNoError and rawVforkSyscall), and where ABIInternal
// puts arguments that do not fit in registers.
const Abi kGo{{X86_REG_RAX, X86_REG_RBX, X86_REG_RCX, X86_REG_RDI, X86_REG_RSI, X86_REG_R8,
               X86_REG_R9, X86_REG_R10, X86_REG_R11},
              {}};
// In a Go binary the tracer also follows a value through a slot of the stack frame: a `want`
// of kGoSlot + d is the 8-byte word at [rsp+d] (d >= 0, relative to rsp at that instruction).
constexpr unsigned kGoSlot = 0x10000;
constexpr std::int64_t kGoMaxFrame = 1 << 20;  // larger offsets are not a frame's
// The stack word that holds Go argument `arg` (at least kGo.args.size()) just before a call,
// or before a tail jump (which leaves the return address of the caller's caller at [rsp]).
unsigned go_stack_arg_slot(int arg, bool tail) {
  const auto k = static_cast<unsigned>(arg) - static_cast<unsigned>(kGo.args.size());
  return kGoSlot + 8 * k + (tail ? 8 : 0);
}
// i386: C passes arguments on the stack, but glibc's internal helpers take them in registers
// (regparm(3): eax, edx, ecx), as does the `int $0x80; ret` entry that %gs:0x10 points to
// before the vDSO is known.
const Abi kI386{{X86_REG_RAX, X86_REG_RDX, X86_REG_RCX},
                {X86_REG_RBX, X86_REG_RSI, X86_REG_RDI, X86_REG_RBP}};

bool is_branch(unsigned id) {
  switch (id) {
    case X86_INS_CALL:
    case X86_INS_JMP:
    case X86_INS_JAE:
    case X86_INS_JA:
    case X86_INS_JBE:
    case X86_INS_JB:
    case X86_INS_JCXZ:
    case X86_INS_JECXZ:
    case X86_INS_JE:
    case X86_INS_JGE:
    case X86_INS_JG:
    case X86_INS_JLE:
    case X86_INS_JL:
    case X86_INS_JNE:
    case X86_INS_JNO:
    case X86_INS_JNP:
    case X86_INS_JNS:
    case X86_INS_JO:
    case X86_INS_JP:
    case X86_INS_JRCXZ:
    case X86_INS_JS:
      return true;
    default:
      return false;
  }
}

// The x86 steps of the backward search (dataflow.h): along each path the first instruction
// that writes the register decides: `mov reg, imm`, `xor reg, reg` and `lea reg, [rip+X]` give
// a constant, `mov reg, reg2` continues with reg2, anything else (a load, arithmetic) makes
// that path unknown. A call on the path clobbers the caller-saved registers (System V:
// callee-saved ones survive). An unconditional jump or a return does not fall through.
class Tracer {
 public:
  // `thunks`: i386 PIC helpers (__x86.get_pc_thunk.REG: `mov REG, [esp]; ret`), which a
  // call runs without touching any other register.
  Tracer(const std::vector<Insn>& v, const std::vector<std::uint32_t>& first,
         const std::vector<std::uint32_t>& fn, const Abi& abi,
         std::map<std::uint64_t, unsigned> thunks)
      : v_(v), first_(first), fn_(fn), abi_(abi), thunks_(std::move(thunks)) {}

  // Go binaries: follow values through stack slots too (see go_step). `abi0`: entry addresses
  // of the ABI0 functions (assembly), which take arguments and return results on the stack.
  void follow_go_frames(std::set<std::uint64_t> abi0) {
    go_ = true;
    abi0_ = std::move(abi0);
  }

  // The values `reg` can hold just before instruction `at` executes.
  Origin trace(std::size_t at, unsigned reg) {
    const std::uint32_t f = fn_[at];
    const std::size_t start = first_[f];
    const std::size_t end = f + 1 < first_.size() ? first_[f + 1] : v_.size();
    const auto& branches = predecessors(f, start, end);
    const auto preds = [&](std::size_t pos) {
      std::vector<std::size_t> from;
      const Insn& prev = v_[pos - 1];
      if (!(prev.id == X86_INS_JMP || prev.id == X86_INS_RET || prev.id == X86_INS_RETF ||
            prev.id == X86_INS_LJMP))
        from.push_back(pos - 1);
      if (auto it = branches.find(v_[pos].addr); it != branches.end())
        for (std::size_t b : it->second) from.push_back(b);
      return from;
    };
    const auto entry_arg = [&](unsigned want) {
      return go_ ? go_entry_arg(want) : abi_.arg_index(want);
    };
    const auto step = [&](std::size_t p, unsigned want, Origin& out,
                          std::set<std::uint64_t>& values,
                          TraceWork& work) { this->step(p, want, out, values, work); };
    return trace_back(at, start, family(reg), preds, entry_arg, step);
  }

 private:
  // Instruction `p` runs before the state: what it does to `want`.
  void step(std::size_t p, unsigned want, Origin& out, std::set<std::uint64_t>& values,
            std::vector<std::pair<std::size_t, unsigned>>& work) const {
    const Insn& in = v_[p];
    if (go_ && go_step(p, want, out, values, work)) return;
    if (in.id == X86_INS_CALL) {
      const auto thunk = in.nops == 1 && in.ops[0].type == X86_OP_IMM
                             ? thunks_.find(static_cast<std::uint64_t>(in.ops[0].val))
                             : thunks_.end();
      const bool kept = thunk != thunks_.end() ? thunk->second != want : is_callee_saved(want);
      if (kept) {
        work.emplace_back(p, want);
      } else {
        out.unknown = true;
      }
      return;
    }
    if (in.nops == 0 || in.ops[0].type != X86_OP_REG || family(in.ops[0].reg) != want) {
      work.emplace_back(p, want);
      return;
    }
    switch (in.id) {
      case X86_INS_CMP:
      case X86_INS_TEST:
      case X86_INS_PUSH:
        work.emplace_back(p, want);  // read, not written
        return;
      case X86_INS_MOV:
        if (in.nops == 2 && in.ops[1].type == X86_OP_IMM) {
          values.insert(static_cast<std::uint64_t>(in.ops[1].val));
          return;
        }
        if (in.nops == 2 && in.ops[1].type == X86_OP_REG) {
          work.emplace_back(p, family(in.ops[1].reg));
          return;
        }
        break;
      case X86_INS_XOR:
        if (in.nops == 2 && in.ops[1].type == X86_OP_REG && family(in.ops[1].reg) == want) {
          values.insert(0);
          return;
        }
        break;
      case X86_INS_LEA:
        if (in.nops == 2 && in.ops[1].type == X86_OP_MEM && in.ops[1].reg == X86_REG_RIP) {
          values.insert(in.addr + in.size + static_cast<std::uint64_t>(in.ops[1].val));
          return;
        }
        break;
      default:
        break;
    }
    out.unknown = true;  // written some other way: not a constant we can see
  }

  // A memory operand [rsp+d] (no index, no segment): d, the offset into the frame.
  static std::optional<std::int64_t> frame_offset(const Insn::Op& op) {
    if (op.type != X86_OP_MEM || op.reg != X86_REG_RSP || op.seg != X86_REG_INVALID)
      return std::nullopt;
    return op.val;
  }

  // Go at a function's entry: the argument a register or a stack word there holds, or -1.
  int go_entry_arg(unsigned want) const {
    if (want < kGoSlot) return abi_.arg_index(want);
    const std::int64_t d = static_cast<std::int64_t>(want - kGoSlot) - 8;  // [rsp]: return addr
    if (d < 0 || d % 8 != 0) return -1;
    return static_cast<int>(abi_.args.size() + static_cast<std::size_t>(d / 8));
  }

  // Go's compiler keeps values in its frame across calls: Go's register ABI saves no register
  // for the caller, so a value live across a call is spilled to [rsp+d] and loaded back (as
  // syscall.Syscall does with the number around runtime.entersyscall), and ABI0 callees take
  // their arguments from stores to [rsp+8k] just before the call. This step follows a register
  // loaded from a frame slot to the slot, and a slot back to what was stored there. Go code
  // addresses its frame through rsp, whose offset changes only in prologues and epilogues
  // (sub/add rsp, and push/pop in assembly), which shift the slot's offset accordingly.
  // Handles every instruction for a slot; for a register, only a load from a slot (false: the
  // generic step decides).
  bool go_step(std::size_t p, unsigned want, Origin& out, std::set<std::uint64_t>& values,
               std::vector<std::pair<std::size_t, unsigned>>& work) const {
    const Insn& in = v_[p];
    const auto to_slot = [&](std::int64_t d) {
      if (d >= 0 && d < kGoMaxFrame) {
        work.emplace_back(p, kGoSlot + static_cast<unsigned>(d));
      } else {
        out.unknown = true;
      }
    };
    if (want < kGoSlot) {
      if (in.id != X86_INS_MOV || in.nops != 2 || in.ops[0].type != X86_OP_REG ||
          family(in.ops[0].reg) != want)
        return false;
      const auto d = frame_offset(in.ops[1]);
      if (!d) return false;
      to_slot(*d);
      return true;
    }
    const std::int64_t off = want - kGoSlot;
    // The stored value: an immediate, or a register followed on from here.
    const auto stored = [&](const Insn::Op& src) {
      if (src.type == X86_OP_IMM) {
        values.insert(static_cast<std::uint64_t>(src.val));
      } else if (src.type == X86_OP_REG) {
        work.emplace_back(p, family(src.reg));
      } else {
        out.unknown = true;
      }
    };
    switch (in.id) {
      case X86_INS_CALL: {
        // A Go function keeps to its own frame, below the caller's. An ABI0 callee writes its
        // results above its arguments in the caller's frame; where it is not known (a call
        // through a register) the slot may have been written too.
        const bool direct = in.nops == 1 && in.ops[0].type == X86_OP_IMM;
        if (direct && !abi0_.count(static_cast<std::uint64_t>(in.ops[0].val))) {
          work.emplace_back(p, want);
        } else {
          out.unknown = true;
        }
        return true;
      }
      case X86_INS_PUSH:  // [rsp-8] = src: the slot at 0 after the push is src
        if (off == 0) {
          stored(in.ops[0]);
        } else {
          to_slot(off - 8);
        }
        return true;
      case X86_INS_POP:
        if (in.nops == 1 && in.ops[0].type == X86_OP_REG) {
          to_slot(off + 8);
        } else {
          out.unknown = true;
        }
        return true;
      case X86_INS_LEAVE:
      case X86_INS_ENTER:
      case X86_INS_PUSHF:
      case X86_INS_PUSHFQ:
      case X86_INS_POPF:
      case X86_INS_POPFQ:
        out.unknown = true;
        return true;
      default:
        break;
    }
    if (in.nops == 0) {
      work.emplace_back(p, want);
      return true;
    }
    const Insn::Op& dst = in.ops[0];
    const bool reads_only = in.id == X86_INS_CMP || in.id == X86_INS_TEST || in.id == X86_INS_BT;
    if (dst.type == X86_OP_REG && family(dst.reg) == X86_REG_RSP && !reads_only) {
      const bool imm = in.nops == 2 && in.ops[1].type == X86_OP_IMM;
      if (in.id == X86_INS_SUB && imm) {
        to_slot(off - in.ops[1].val);  // before `sub rsp, n` the slot was n bytes lower
      } else if (in.id == X86_INS_ADD && imm) {
        to_slot(off + in.ops[1].val);
      } else {
        out.unknown = true;  // rsp set some other way: the frame is not followed
      }
      return true;
    }
    if (const auto d = frame_offset(dst); d && !reads_only) {
      const std::int64_t size = dst.size ? dst.size : 8;
      if (*d == off && in.id == X86_INS_MOV && in.nops == 2 && size >= 4) {
        stored(in.ops[1]);
      } else if (*d < off + 8 && off < *d + size) {
        out.unknown = true;  // part of the slot written, or written by arithmetic
      } else {
        work.emplace_back(p, want);
      }
      return true;
    }
    work.emplace_back(p, want);
    return true;
  }

  bool is_callee_saved(unsigned fam) const {
    return std::find(abi_.callee_saved.begin(), abi_.callee_saved.end(), fam) !=
           abi_.callee_saved.end();
  }

  // Branch target address -> instruction indexes of the branches to it, inside function f.
  const std::map<std::uint64_t, std::vector<std::size_t>>& predecessors(std::uint32_t f,
                                                                        std::size_t start,
                                                                        std::size_t end) {
    auto [it, fresh] = preds_.try_emplace(f);
    if (fresh) {
      for (std::size_t i = start; i < end; ++i) {
        const Insn& in = v_[i];
        if (in.id != X86_INS_CALL && is_branch(in.id) && in.nops == 1 &&
            in.ops[0].type == X86_OP_IMM)
          it->second[static_cast<std::uint64_t>(in.ops[0].val)].push_back(i);
      }
    }
    return it->second;
  }

  const std::vector<Insn>& v_;
  const std::vector<std::uint32_t>& first_;
  const std::vector<std::uint32_t>& fn_;
  const Abi& abi_;
  std::map<std::uint64_t, unsigned> thunks_;
  bool go_ = false;
  std::set<std::uint64_t> abi0_;
  std::map<std::uint32_t, std::map<std::uint64_t, std::vector<std::size_t>>> preds_;
};

// Go (>= 1.17) names the symbol of an ABI0 function (assembly, stack arguments) with the
// suffix ".abi0" (runtime.read.abi0, syscall.rawSyscallNoError.abi0); its ABIInternal name, if
// Go code elsewhere calls it, is a compiler-made wrapper that stores the registers to the stack.
std::set<std::uint64_t> go_abi0_functions(const ElfFile& elf) {
  std::set<std::uint64_t> out;
  constexpr std::string_view kSuffix = ".abi0";
  for (const auto& sym : elf.symbols())
    if (sym.function && sym.defined && sym.name.size() > kSuffix.size() &&
        std::string_view(sym.name).substr(sym.name.size() - kSuffix.size()) == kSuffix)
      out.insert(sym.addr);
  return out;
}

bool is_plt(const std::string& section) {
  return section == ".plt" || section == ".plt.sec" || section == ".plt.got" || section == ".iplt";
}

// Decodes every executable section once, in address order. PLT stubs are left out: they are
// not functions, calls to them are imports.
std::vector<Insn> decode(const ElfFile& elf, bool x86_64) {
  Disassembler dis(CS_ARCH_X86, x86_64 ? CS_MODE_64 : CS_MODE_32, "x86");
  InsnBuffer buf(dis.get());
  std::vector<const ElfCode*> sections;
  for (const auto& c : elf.code())
    if (!is_plt(c.name)) sections.push_back(&c);
  std::sort(sections.begin(), sections.end(),
            [](const ElfCode* a, const ElfCode* b) { return a->addr < b->addr; });
  std::vector<Insn> v;
  std::size_t total = 0;
  for (const auto* c : sections) total += c->bytes.size();
  v.reserve(total / 4);
  for (const auto* code : sections) {
    const std::uint8_t* bytes = code->bytes.data();
    std::size_t size = code->bytes.size();
    std::uint64_t addr = code->addr;
    while (cs_disasm_iter(dis.get(), &bytes, &size, &addr, buf.get())) {
      const cs_insn& ci = *buf.get();
      Insn in;
      in.addr = ci.address;
      in.id = static_cast<std::uint16_t>(ci.id);
      in.size = static_cast<std::uint8_t>(ci.size);
      if (ci.detail) {
        const cs_x86& x = ci.detail->x86;
        in.nops = static_cast<std::uint8_t>(std::min<int>(x.op_count, 2));
        for (int k = 0; k < in.nops; ++k) {
          const cs_x86_op& o = x.operands[k];
          in.ops[k].type = static_cast<std::uint8_t>(o.type);
          in.ops[k].size = o.size;
          if (o.type == X86_OP_REG) in.ops[k].reg = static_cast<std::uint16_t>(o.reg);
          if (o.type == X86_OP_IMM) in.ops[k].val = o.imm;
          if (o.type == X86_OP_MEM) {
            in.ops[k].reg = static_cast<std::uint16_t>(o.mem.base);
            in.ops[k].seg = static_cast<std::uint16_t>(o.mem.segment);
            in.ops[k].val = o.mem.disp;
            // An indexed operand names no single address.
            if (o.mem.index != X86_REG_INVALID) in.ops[k].reg = X86_REG_ENDING;
          }
        }
        // A conditional jump only leaves the straight line on one of its paths; the code
        // before it still reaches the site on the other.
        in.ends_flow = ci.id == X86_INS_JMP || ci.id == X86_INS_CALL || ci.id == X86_INS_RET ||
                       ci.id == X86_INS_RETF || ci.id == X86_INS_LJMP;
      }
      v.push_back(in);
    }
  }
  return v;
}

// The address a memory operand names when it is static: rip-relative (x86_64), absolute
// (i386 position-dependent code), or GOT-relative (i386 PIC).
std::optional<std::uint64_t> mem_address(const Insn& in, const Insn::Op& op, bool x86_64,
                                         std::uint64_t got) {
  if (op.type != X86_OP_MEM || op.seg != X86_REG_INVALID || op.reg == X86_REG_ENDING)
    return std::nullopt;
  if (op.reg == X86_REG_RIP) return in.addr + in.size + static_cast<std::uint64_t>(op.val);
  if (x86_64) return std::nullopt;
  if (op.reg == X86_REG_INVALID && op.val != 0)
    return static_cast<std::uint32_t>(op.val);  // no base and no index: absolute
  // PIC code keeps the GOT address in whichever register its pc thunk loaded (ebx for calls
  // through the PLT, often esi, edi or ebp inside a function).
  if (op.reg != X86_REG_INVALID && op.reg != X86_REG_ESP && got)
    return static_cast<std::uint32_t>(got + static_cast<std::uint64_t>(op.val));
  return std::nullopt;
}

// Which decoded bytes are code. The decoder sweeps every executable section linearly, and a
// linear sweep also decodes what the compiler or the assembler put *between* functions:
// constant tables, jump tables, padding. Hand-written cryptography puts its tables in .text
// (libgcrypt's AES and SHA code, OpenSSL's perlasm), and four bytes of such a table can read
// as `mov $0xfc,%al; int $0x80` — an i386 exit_group in an x86_64 library, which would open
// the whole 32-bit ABI in a generated filter. Such a decode is not evidence.
//
// The rule: a site counts only in code a function is known to hold, and only on the
// instruction stream that starts at that function's first byte.
//   * Functions are known from the unwind table (each FDE gives [pc_begin, pc_begin +
//     pc_range): gcc and clang emit one for every function, glibc's assembly has CFI) and from
//     sized function symbols. These *extents* are code.
//   * Outside every extent, code is what control flow reaches: a start the file vouches for (a
//     size-0 function symbol, the entry point, an init or fini function, a function pointer
//     the data holds, the target of a direct call or jump from code, an address code takes
//     with lea or an immediate: code built without unwind tables has only these), and
//     from there the next instruction, as long as the one before it can fall through (not a
//     ret, jmp, ud2, hlt or int3). Flow never passes a byte that is no instruction, nor a
//     direct branch to where no code is: real code has neither. This keeps code that an FDE
//     deliberately leaves out: glibc's clone and clone3 end their FDE just before the
//     `syscall` ("in the child the unwind info will be wrong"), and i386 glibc's signal
//     restorers (`movl $119,%eax; int $0x80`, whose address sigaction takes) have none. A
//     table after a function's `ret` is reached by nothing. One whose address code takes (as
//     libgcrypt's is) is only weak evidence: tables are addressed that way. Such a start
//     keeps ordinary sites (the i386 restorers above), but not an `int 0x80` in x86_64 code,
//     whose decode would open a whole ABI; libgcrypt's table also starts with bytes that
//     are no instruction.
//   * The site's address must be an instruction boundary of the decode that starts at the
//     function's start (x86 instructions have no fixed length: bytes that are one instruction
//     from the right start are another from a wrong one). Where the linear sweep is on a
//     boundary at the function's start it is that decode; elsewhere the function is decoded
//     again from its start.
// An object without any extent (no unwind table and no sized symbol: hand-made, or stripped of
// both) and a Go binary keep every decoded site, as nothing tells code from data there — except
// `int 0x80` in an x86_64 object, which enters the i386 ABI and counts only with that evidence.
// Instructions outside code give no call graph edges either.
class CodeMap {
 public:
  CodeMap(const ElfFile& elf, const std::vector<Insn>& v, bool x86_64)
      : elf_(elf), v_(v), x86_64_(x86_64) {
    // Go's linker writes no unwind table for Go code, and a stripped Go binary has no symbols
    // for it either: what extents it has (FDEs and exports of the C code cgo linked in) say
    // nothing about the rest. Its text holds only functions (Go assembly puts its data in
    // RODATA), so it is treated as an object without extents.
    if (elf.is_go()) return;
    for (const auto& r : elf.unwind_ranges())
      if (elf.in_code(r.lo)) extents_.push_back(r);
    for (const auto& s : elf.symbols()) {
      if (!s.function || !s.defined || !elf.in_code(s.addr)) continue;
      if (s.size != 0 && s.size <= ~std::uint64_t{0} - s.addr) {
        extents_.push_back({s.addr, s.addr + s.size});
      } else if (s.size == 0) {
        open_.emplace(s.addr, true);
      }
    }
    std::sort(extents_.begin(), extents_.end());
    extents_.erase(std::unique(extents_.begin(), extents_.end()), extents_.end());
    if (extents_.empty()) return;  // not bounded: every site counts (see above)
    for (const auto& e : extents_) {
      max_extent_ = std::max(max_extent_, e.hi - e.lo);
      if (!merged_.empty() && e.lo <= merged_.back().hi) {
        merged_.back().hi = std::max(merged_.back().hi, e.hi);
      } else {
        merged_.push_back(e);
      }
    }
    if (elf.kind() != ElfKind::kRelocatable) {
      open_.emplace(elf.entry(), true);
      for (auto a : elf.init_functions()) open_.emplace(a, true);
      // Functions whose address the data holds (busybox's applet table: built without unwind
      // tables, its own functions have no FDE).
      for (auto a : elf.code_pointers())
        if (!covered(a)) open_.emplace(a, true);
    }
    // Direct calls and jumps from code reach code, and so may an address code takes; what
    // they reach may branch further (a few rounds reach the fixpoint). Only targets outside
    // the extents matter, and they are few: collected once.
    struct Edge {
      std::size_t from;
      std::uint64_t to;
      bool branch;
    };
    std::vector<Edge> edges;
    const std::uint64_t got = x86_64 ? 0 : elf.got_base();
    for (std::size_t i = 0; i < v_.size(); ++i) {
      const Insn& in = v_[i];
      for (int k = 0; k < in.nops; ++k) {
        const Insn::Op& op = in.ops[k];
        std::optional<std::uint64_t> t;
        if (op.type == X86_OP_IMM && op.val > 0) t = static_cast<std::uint64_t>(op.val);
        if (op.type == X86_OP_MEM && in.id == X86_INS_LEA) t = mem_address(in, op, x86_64, got);
        if (t && !covered(*t) && elf.in_code(*t)) edges.push_back({i, *t, is_branch(in.id)});
      }
    }
    for (int round = 0; round < 8; ++round) {
      sweep();
      bool grew = false;
      for (const auto& e : edges) {
        if (!code_[e.from]) continue;
        // A branch is as strong as the code it is in; a taken address is always weak.
        const bool strong = e.branch && strongly_reached(e.from);
        auto [it, added] = open_.emplace(e.to, strong);
        if (strong && !it->second) {
          it->second = true;  // a weak start made strong
          added = true;
        }
        grew |= added;
      }
      if (!grew) break;
    }
    sweep();
  }

  // Instruction i lies in code (always, for an object without extents).
  bool code(std::size_t i) const { return code_.empty() || code_[i]; }

  // The site instruction i (of kind `kind`) counts.
  bool trusted_site(std::size_t i, SyscallSite::Kind kind) const {
    if (extents_.empty()) return !(x86_64_ && kind == SyscallSite::kInt80);
    if (!code_[i]) return false;
    const std::uint64_t a = v_[i].addr;
    if (covered(a)) return aligned_in_extent(a, a);
    // Outside the extents: from the start it was reached from, or from the function the flow
    // fell out of.
    // An address code only takes is weak evidence (tables are addressed that way): not enough
    // to open the i386 ABI from x86_64 code.
    if (x86_64_ && kind == SyscallSite::kInt80 && !strongly_reached(i)) return false;
    const std::uint64_t anchor = reached_from_.at(i);
    return open_.count(anchor) ? aligned(anchor, a) : aligned_in_extent(anchor, a);
  }

 private:
  // Code instruction i is in an extent, or reached from one or from a strong start.
  bool strongly_reached(std::size_t i) const {
    auto from = reached_from_.find(i);
    if (from == reached_from_.end()) return true;
    auto start = open_.find(from->second);
    return start == open_.end() || start->second;
  }

  static bool falls_through(unsigned id) {
    switch (id) {
      case X86_INS_JMP:
      case X86_INS_LJMP:
      case X86_INS_RET:
      case X86_INS_RETF:
      case X86_INS_RETFQ:
      case X86_INS_IRET:
      case X86_INS_IRETD:
      case X86_INS_IRETQ:
      case X86_INS_UD2:
      case X86_INS_HLT:
      case X86_INS_INT3:
        return false;
      default:
        return true;
    }
  }

  // Real code: an instruction Capstone decodes (SKIPDATA gives id 0 for a byte that is none),
  // whose direct branch, if it has one, lands in code.
  bool plausible(const Insn& in) const {
    if (in.id == X86_INS_INVALID) return false;
    if (is_branch(in.id) && in.nops == 1 && in.ops[0].type == X86_OP_IMM)
      return elf_.in_code(static_cast<std::uint64_t>(in.ops[0].val));
    return true;
  }

  bool covered(std::uint64_t a) const {
    auto m = std::upper_bound(merged_.begin(), merged_.end(), a,
                              [](std::uint64_t x, const CodeRange& r) { return x < r.lo; });
    return m != merged_.begin() && a < (m - 1)->hi;
  }

  // code_[i] for every instruction, in one pass in address order; reached_from_ for the code
  // outside the extents: the open start, or the address of the last covered instruction the
  // flow fell through from.
  void sweep() {
    code_.assign(v_.size(), false);
    reached_from_.clear();
    std::size_t m = 0;
    for (std::size_t i = 0; i < v_.size(); ++i) {
      const std::uint64_t a = v_[i].addr;
      while (m < merged_.size() && merged_[m].hi <= a) ++m;
      if (m < merged_.size() && merged_[m].lo <= a) {
        code_[i] = true;
        continue;
      }
      if (!plausible(v_[i])) continue;
      if (open_.count(a)) {
        code_[i] = true;
        reached_from_[i] = a;
        continue;
      }
      if (i == 0 || !code_[i - 1]) continue;
      const Insn& prev = v_[i - 1];
      if (prev.addr + prev.size != a || !falls_through(prev.id)) continue;
      code_[i] = true;
      auto from = reached_from_.find(i - 1);
      reached_from_[i] = from != reached_from_.end() ? from->second : prev.addr;
    }
  }

  // Decoding from the start of an extent holding `in` lands on an instruction at `a`.
  bool aligned_in_extent(std::uint64_t in, std::uint64_t a) const {
    auto it = std::upper_bound(extents_.begin(), extents_.end(), in,
                               [](std::uint64_t x, const CodeRange& r) { return x < r.lo; });
    while (it != extents_.begin()) {
      const CodeRange& e = *--it;
      if (in - e.lo >= max_extent_) break;  // none further back is long enough to hold it
      if (in < e.hi && aligned(e.lo, a)) return true;
    }
    return false;
  }

  // Decoding from `start` lands on an instruction at `a`.
  bool aligned(std::uint64_t start, std::uint64_t a) const {
    if (start == a) return true;
    auto it = std::lower_bound(v_.begin(), v_.end(), start,
                               [](const Insn& in, std::uint64_t x) { return in.addr < x; });
    if (it != v_.end() && it->addr == start) return true;  // the sweep is that decode
    for (const auto& c : elf_.code()) {
      if (start < c.addr || start - c.addr >= c.bytes.size()) continue;
      if (a < start || a - c.addr >= c.bytes.size()) return false;
      if (!dis_) {
        dis_ =
            std::make_unique<Disassembler>(CS_ARCH_X86, x86_64_ ? CS_MODE_64 : CS_MODE_32, "x86");
        buf_ = std::make_unique<InsnBuffer>(dis_->get());
      }
      // The rest of the section, not just up to `a`: an instruction that starts before `a` and
      // ends after it must decode whole (cut short, SKIPDATA would step over it byte by byte).
      const std::uint8_t* bytes = c.bytes.data() + (start - c.addr);
      std::size_t size = c.bytes.size() - static_cast<std::size_t>(start - c.addr);
      std::uint64_t addr = start;
      while (addr < a && cs_disasm_iter(dis_->get(), &bytes, &size, &addr, buf_->get())) {
      }
      return addr == a;
    }
    return false;
  }

  const ElfFile& elf_;
  const std::vector<Insn>& v_;
  bool x86_64_;
  std::vector<CodeRange> extents_;  // sorted by start; may overlap
  std::vector<CodeRange> merged_;   // their union, disjoint
  std::uint64_t max_extent_ = 0;
  // Starts outside the extents that the file vouches for -> strong evidence (false: only an
  // address that code takes with lea or an immediate).
  std::map<std::uint64_t, bool> open_;
  std::vector<bool> code_;
  std::map<std::size_t, std::uint64_t> reached_from_;
  mutable std::unique_ptr<Disassembler> dis_;
  mutable std::unique_ptr<InsnBuffer> buf_;
};

}  // namespace

std::size_t ObjectAnalysis::unresolved() const {
  return static_cast<std::size_t>(std::count_if(
      sites.begin(), sites.end(), [](const auto& s) { return !s.nr && s.from_arg < 0; }));
}

std::size_t SiteScan::unresolved() const {
  return static_cast<std::size_t>(std::count_if(
      sites.begin(), sites.end(), [](const auto& s) { return !s.nr && s.from_arg < 0; }));
}

const std::vector<Wrapper>& go_wrappers() {
  // Go 1.19, amd64. The runtime makes its own syscalls in assembly with constant numbers
  // (runtime.read.abi0: `mov eax, 0; syscall`); everything else funnels into
  // runtime/internal/syscall.Syscall6 (ABIInternal assembly: number in rax), which the syscall
  // package reaches as RawSyscall6 (linknamed) from RawSyscall, Syscall and Syscall6 (Go
  // functions, number in rax; Syscall spills it around runtime.entersyscall). Two assembly
  // functions of package syscall make their own syscall with the number on the stack:
  // rawSyscallNoError and rawVforkSyscall (ABI0, `mov rax, [rsp+8]`), as do those of
  // golang.org/x/sys/unix (ABI0 assembly; Syscall and friends tail-jump to package syscall's
  // ABI0 wrappers). The analyzer derives all of these from their code; the names are the
  // fallback where it cannot (a body that changes between Go versions).
  static const std::vector<Wrapper> w = [] {
    const int stack0 = static_cast<int>(kGo.args.size());  // ABI0: first stack argument
    std::vector<Wrapper> out;
    for (const char* fn : {"Syscall", "Syscall6", "RawSyscall", "RawSyscall6"}) {
      out.push_back({std::string("syscall.") + fn, 0});
      out.push_back({std::string("syscall.") + fn + ".abi0", stack0});
    }
    for (const char* fn : {"rawSyscallNoError", "rawVforkSyscall"})
      out.push_back({std::string("syscall.") + fn + ".abi0", stack0});
    for (const char* fn : {"Syscall", "Syscall6", "RawSyscall", "RawSyscall6", "SyscallNoError",
                           "RawSyscallNoError"}) {
      out.push_back({std::string("golang.org/x/sys/unix.") + fn, 0});
      out.push_back({std::string("golang.org/x/sys/unix.") + fn + ".abi0", stack0});
    }
    out.push_back({"runtime/internal/syscall.Syscall6", 0});
    return out;
  }();
  return w;
}

void finish_object(const ElfFile& elf, ObjectParts parts,
                   const std::function<int(std::uint64_t)>& func_of, ObjectAnalysis& out) {
  std::vector<std::size_t> order(parts.sites.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return parts.sites[a].addr < parts.sites[b].addr;
  });
  out.sites.clear();
  out.sites.reserve(order.size());
  for (std::size_t k : order) {
    out.functions[parts.site_fn[k]].sites.push_back(static_cast<std::uint32_t>(out.sites.size()));
    out.sites.push_back(std::move(parts.sites[k]));
  }
  for (const auto& sym : elf.data_imports()) parts.import_users[sym];
  for (const auto& [sym, users] : parts.import_users) out.imports.push_back(sym);  // sorted
  for (const auto& sym : elf.data_imports())
    out.root_imports.push_back(static_cast<std::uint32_t>(
        std::lower_bound(out.imports.begin(), out.imports.end(), sym) - out.imports.begin()));
  std::uint32_t idx = 0;
  for (const auto& [sym, users] : parts.import_users) {
    for (auto f : users) out.functions[f].imports.push_back(idx);
    ++idx;
  }
  for (std::size_t f = 0; f < out.functions.size() && f < parts.callees.size(); ++f)
    out.functions[f].callees.assign(parts.callees[f].begin(), parts.callees[f].end());
  if (elf.kind() == ElfKind::kRelocatable) return;  // no entry, no exports: every site counts

  // A program: a position-dependent executable, or a PIE (ET_DYN with an interpreter and no
  // soname; libc.so.6 has an interpreter too, to run as a program, but it has a soname).
  const bool program =
      elf.kind() == ElfKind::kExecutable || (!elf.interpreter().empty() && elf.soname().empty());
  std::set<std::uint32_t> roots;
  for (const auto& sym : elf.symbols()) {
    if (!sym.function || !sym.defined || !sym.dynamic || !sym.global) continue;
    const int f = func_of(sym.addr);
    if (f < 0 || !elf.in_code(sym.addr)) continue;
    out.exports.emplace(sym.name, static_cast<std::uint32_t>(f));
    // A program's exported functions are called back by what it loads.
    if (program) roots.insert(static_cast<std::uint32_t>(f));
  }
  const auto add_root = [&](std::uint64_t a) {
    if (const int f = func_of(a); f >= 0 && elf.in_code(a))
      roots.insert(static_cast<std::uint32_t>(f));
  };
  if (const int f = func_of(elf.entry()); f >= 0 && elf.entry() && elf.in_code(elf.entry()))
    out.entry = f;
  if (program) add_root(elf.entry());
  for (auto a : elf.init_functions()) add_root(a);
  for (auto a : elf.code_pointers()) add_root(a);
  out.roots.assign(roots.begin(), roots.end());
}

ObjectAnalysis analyze_object(const ElfFile& elf, const std::vector<Wrapper>& imported_wrappers) {
  if (elf.machine() == Machine::kAarch64) return analyze_aarch64(elf, imported_wrappers);
  ObjectAnalysis out;
  if (elf.machine() != Machine::kX86_64 && elf.machine() != Machine::kI386) return out;
  const bool x86_64 = elf.machine() == Machine::kX86_64;
  const bool go = elf.is_go();
  const Abi& abi = !x86_64 ? kI386 : go ? kGo : kSysV;
  const std::uint64_t got = x86_64 ? 0 : elf.got_base();
  const std::vector<Insn> v = decode(elf, x86_64);
  if (v.empty()) return out;
  const CodeMap code(elf, v, x86_64);

  // -- Function starts ------------------------------------------------------------------------
  std::vector<std::uint64_t> starts = elf.unwind_starts();
  for (const auto& s : elf.symbols())
    if (s.function && s.defined) starts.push_back(s.addr);
  for (const auto& c : elf.code())
    if (!is_plt(c.name) && !c.bytes.empty()) starts.push_back(c.addr);
  if (elf.kind() != ElfKind::kRelocatable) {
    starts.push_back(elf.entry());
    for (auto a : elf.init_functions()) starts.push_back(a);
  }
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].id == X86_INS_CALL && v[i].nops == 1 && v[i].ops[0].type == X86_OP_IMM && code.code(i))
      starts.push_back(static_cast<std::uint64_t>(v[i].ops[0].val));
  {
    // Keep the starts that are instruction boundaries of the decoded code.
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    std::vector<std::uint64_t> kept;
    std::size_t i = 0;
    for (auto a : starts) {
      while (i < v.size() && v[i].addr < a) ++i;
      if (i < v.size() && v[i].addr == a) kept.push_back(a);
    }
    starts = std::move(kept);
  }
  if (starts.empty() || starts.front() != v.front().addr)
    starts.insert(starts.begin(), v.front().addr);
  out.functions.resize(starts.size());
  for (std::size_t f = 0; f < starts.size(); ++f) {
    out.functions[f].addr = starts[f];
    if (const ElfSymbol* sym = elf.function_at(starts[f]); sym && sym->addr == starts[f]) {
      out.functions[f].name = sym->name;
    } else {
      // A function without a symbol (stripped) is named by its address, as disassemblers do.
      char name[32];
      std::snprintf(name, sizeof name, "sub_%llx", static_cast<unsigned long long>(starts[f]));
      out.functions[f].name = name;
    }
  }
  // Function index for an address (the last start at or before it); -1 before the first.
  const auto func_of = [&](std::uint64_t a) -> int {
    auto it = std::upper_bound(starts.begin(), starts.end(), a);
    if (it == starts.begin()) return -1;
    return static_cast<int>(it - starts.begin() - 1);
  };
  const auto is_start = [&](std::uint64_t a) {
    return std::binary_search(starts.begin(), starts.end(), a);
  };
  // Instruction index of each function's first instruction, and each instruction's function.
  std::vector<std::uint32_t> first(starts.size(), 0);
  std::vector<std::uint32_t> fn(v.size(), 0);
  for (std::size_t i = 0, f = 0; i < v.size(); ++i) {
    while (f + 1 < starts.size() && v[i].addr >= starts[f + 1]) {
      ++f;
      first[f] = static_cast<std::uint32_t>(i);
    }
    fn[i] = static_cast<std::uint32_t>(f);
  }

  // -- Imports: PLT stubs and GOT slots of imported symbols ------------------------------------
  std::map<std::uint64_t, std::string> plt, got_slot;
  for (const auto& imp : elf.imports()) {
    if (imp.plt_addr) plt[imp.plt_addr] = imp.symbol;
    got_slot[imp.got_addr] = imp.symbol;
  }
  std::map<std::string, std::set<std::uint32_t>> import_users;  // symbol -> functions
  std::vector<std::set<std::uint32_t>> callees(starts.size());

  // -- One pass: sites, edges, address-taken functions, imported calls -------------------------
  std::map<std::uint64_t, int> wrapper_entry;  // function start -> argument carrying nr
  std::vector<std::uint32_t> site_fn;          // the function of each site
  std::map<std::uint64_t, unsigned> thunks;
  if (!x86_64) {
    for (std::size_t i = 0; i + 1 < v.size(); ++i) {
      const Insn& in = v[i];
      if (in.id == X86_INS_MOV && in.nops == 2 && in.ops[0].type == X86_OP_REG &&
          in.ops[1].type == X86_OP_MEM && in.ops[1].reg == X86_REG_ESP && in.ops[1].val == 0 &&
          v[i + 1].id == X86_INS_RET && is_start(in.addr))
        thunks[in.addr] = family(in.ops[0].reg);
    }
  }
  Tracer tracer(v, first, fn, abi, std::move(thunks));
  if (go) tracer.follow_go_frames(go_abi0_functions(elf));
  const auto add_sites = [&](SyscallSite s, const Origin& o, std::uint32_t f) {
    add_traced_sites(std::move(s), o, f, out.sites, site_fn);
  };
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Insn& in = v[i];
    const std::uint32_t f = fn[i];
    SyscallSite s;
    bool site = true;
    if (in.id == X86_INS_SYSCALL) {
      s.kind = SyscallSite::kSyscall;
    } else if (in.id == X86_INS_SYSENTER) {
      s.kind = SyscallSite::kSysenter;
    } else if (in.id == X86_INS_INT && in.nops == 1 && in.ops[0].type == X86_OP_IMM &&
               in.ops[0].val == 0x80) {
      s.kind = SyscallSite::kInt80;
    } else if (!x86_64 && in.id == X86_INS_CALL && in.nops == 1 && in.ops[0].type == X86_OP_MEM &&
               in.ops[0].seg == X86_REG_GS && in.ops[0].val == 0x10) {
      s.kind = SyscallSite::kVsyscall;
    } else {
      site = false;
    }
    if (site && !code.trusted_site(i, s.kind)) continue;  // not evidence: see CodeMap
    if (!code.code(i)) continue;  // bytes outside every function give no edges either
    if (site) {
      s.addr = in.addr;
      s.function = out.functions[f].name;
      const Origin o = tracer.trace(i, X86_REG_RAX);
      if (o.arg >= 0) wrapper_entry[starts[f]] = o.arg;
      add_sites(std::move(s), o, f);
      continue;
    }
    // Branches and calls to a constant target.
    if (is_branch(in.id) && in.nops == 1 && in.ops[0].type == X86_OP_IMM) {
      const auto t = static_cast<std::uint64_t>(in.ops[0].val);
      if (auto p = plt.find(t); p != plt.end()) {
        import_users[p->second].insert(f);
      } else if (int g = func_of(t); g >= 0 && static_cast<std::uint32_t>(g) != f) {
        callees[f].insert(static_cast<std::uint32_t>(g));
      }
      continue;
    }
    // Operands naming an address: an imported symbol's GOT slot (call *slot, or its address
    // loaded as a function pointer), or a function whose address this code takes.
    for (int k = 0; k < in.nops; ++k) {
      const Insn::Op& op = in.ops[k];
      std::optional<std::uint64_t> a;
      if (op.type == X86_OP_IMM && op.val > 0) a = static_cast<std::uint64_t>(op.val);
      if (op.type == X86_OP_MEM) a = mem_address(in, op, x86_64, got);
      if (!a) continue;
      if (op.type == X86_OP_MEM && in.id != X86_INS_LEA) {
        if (auto g = got_slot.find(*a); g != got_slot.end()) import_users[g->second].insert(f);
        continue;  // a load from memory, not the address itself
      }
      if (is_start(*a)) callees[f].insert(static_cast<std::uint32_t>(func_of(*a)));
    }
  }

  // -- Wrappers: calls to this object's wrappers and to imported ones (through the PLT) --------
  // A call whose number comes from the caller's own argument makes the caller a wrapper too
  // (a small helper around syscall()); repeat until nothing new.
  std::map<std::uint64_t, std::pair<std::string, int>> targets;  // call target -> wrapper, arg
  // Imported wrappers follow the C convention, which passes i386 arguments on the stack.
  for (const auto& imp : elf.imports())
    for (const auto& w : imported_wrappers)
      if (x86_64 && imp.plt_addr && imp.symbol == w.function)
        targets[imp.plt_addr] = {w.function, w.arg};
  // Go's wrappers by name, unless the function's own syscall instruction already said how it
  // takes the number (its code follows the Go version the binary was built with).
  if (go)
    for (const auto& w : go_wrappers())
      for (const auto& sym : elf.symbols())
        if (sym.function && sym.defined && sym.name == w.function && !wrapper_entry.count(sym.addr))
          targets[sym.addr] = {w.function, w.arg};
  std::set<std::uint64_t> done_calls;
  for (int round = 0; round < 4; ++round) {
    for (const auto& [addr, arg] : wrapper_entry) {
      const auto& name = out.functions[static_cast<std::size_t>(func_of(addr))].name;
      targets.emplace(addr, std::make_pair(name, arg));
    }
    bool grew = false;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const Insn& in = v[i];
      if ((in.id != X86_INS_CALL && in.id != X86_INS_JMP) || in.nops != 1 ||
          in.ops[0].type != X86_OP_IMM || done_calls.count(in.addr))
        continue;
      auto t = targets.find(static_cast<std::uint64_t>(in.ops[0].val));
      if (t == targets.end()) continue;
      done_calls.insert(in.addr);
      if (!code.trusted_site(i, SyscallSite::kWrapperCall)) continue;
      const std::uint32_t f = fn[i];
      SyscallSite s;
      s.kind = SyscallSite::kWrapperCall;
      s.addr = in.addr;
      s.wrapper = t->second.first;
      s.function = out.functions[f].name;
      const int arg = t->second.second;
      const Origin o = tracer.trace(i, go && arg >= static_cast<int>(kGo.args.size())
                                           ? go_stack_arg_slot(arg, in.id == X86_INS_JMP)
                                           : abi.arg_register(arg));
      if (o.arg >= 0) grew |= wrapper_entry.emplace(starts[f], o.arg).second;
      add_sites(std::move(s), o, f);
    }
    if (!grew) break;
  }
  for (const auto& [addr, arg] : wrapper_entry)
    out.wrappers.push_back({out.functions[static_cast<std::size_t>(func_of(addr))].name, arg});

  // -- dlopen with a constant name (x86_64: the name is in a register) -------------------------
  if (x86_64) {
    std::set<std::string> names;
    std::map<std::uint64_t, int> dl;  // stub -> argument holding the file name
    for (const auto& [stub, sym] : plt) {
      if (sym == "dlopen" || sym == "__libc_dlopen_mode") dl[stub] = 0;
      if (sym == "dlmopen") dl[stub] = 1;
    }
    if (!dl.empty()) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        const Insn& in = v[i];
        if ((in.id != X86_INS_CALL && in.id != X86_INS_JMP) || in.nops != 1 ||
            in.ops[0].type != X86_OP_IMM)
          continue;
        auto d = dl.find(static_cast<std::uint64_t>(in.ops[0].val));
        if (d == dl.end() || !code.code(i)) continue;
        const Origin o = tracer.trace(i, abi.arg_register(d->second));
        for (std::uint64_t a : o.values)
          if (auto str = elf.string_at(a); str && !str->empty()) names.insert(*str);
      }
    }
    out.dlopen.assign(names.begin(), names.end());
  }

  finish_object(elf,
                ObjectParts{std::move(out.sites), std::move(site_fn), std::move(import_users),
                            std::move(callees)},
                func_of, out);
  // Go's runtime reaches most of its code through closures and interface tables, and its linker
  // already drops what nothing references: every site of a Go binary counts.
  // An object file (ET_REL) has no entry point and its calls are still relocations: every site
  // counts there too.
  out.whole_object = go || elf.kind() == ElfKind::kRelocatable;
  return out;
}

SiteScan find_syscall_sites(const ElfFile& elf, const std::vector<Wrapper>& imported_wrappers) {
  ObjectAnalysis a = analyze_object(elf, imported_wrappers);
  SiteScan out;
  out.sites = std::move(a.sites);
  out.wrappers = std::move(a.wrappers);
  return out;
}

}  // namespace tailor::analyzer
