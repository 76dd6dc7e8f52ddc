// RAII owners for Capstone (the x86 and aarch64 decoders share them): one per handle
// (cs_open / cs_close) and one per reusable instruction (cs_malloc / cs_free).
#pragma once

#include <capstone/capstone.h>

#include <string>

#include "tailor/error.h"

namespace tailor::analyzer {

// A handle with instruction detail on (operands, groups, register access) and SKIPDATA (a byte
// that is no instruction is stepped over, as the data some compilers put between functions).
class Disassembler {
 public:
  Disassembler(cs_arch arch, cs_mode mode, const std::string& name) {
    if (cs_open(arch, mode, &h_) != CS_ERR_OK)
      throw Error("capstone: cannot open the " + name + " disassembler");
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

// One reusable instruction with its detail, for cs_disasm_iter: cs_disasm over a whole section
// would allocate a detailed cs_insn per instruction (~1.5 MB of detail per 1,000), gigabytes
// for a large binary.
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

}  // namespace tailor::analyzer
