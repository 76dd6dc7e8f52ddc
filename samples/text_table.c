// text_table: a constant table inside .text, between functions, as hand-written cryptography
// keeps its tables (libgcrypt's AES code, OpenSSL's perlasm). The code addresses it with a
// rip-relative lea and reads it as data; nothing ever executes it. Its first bytes, b0 fc cd 80,
// read as `mov $0xfc,%al; int $0x80` to a linear disassembler: an i386 exit_group, which would
// open the whole 32-bit ABI in a filter generated with static findings. tailor analyze must not
// count it (test/test_analyze.cpp): no function holds those bytes.
//
// Run, it writes the sum of the table's bytes and exits 0.
#include <stdio.h>
#include <unistd.h>

// .p2align keeps the table where gcc's own padding would end; `.type @object` is what an
// assembler table is (not a function).
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".type tailor_text_table, @object\n"
    "tailor_text_table:\n"
    ".byte 0xb0, 0xfc, 0xcd, 0x80\n"  // mov $0xfc,%al; int $0x80 (i386 exit_group)
    ".byte 0x01, 0x08, 0x0d, 0x0f, 0x06, 0x05, 0x0e, 0x02, 0x0c, 0x0b, 0x0a, 0x09\n"
    ".size tailor_text_table, 16\n"
    ".previous\n");

int main(void) {
  const unsigned char* table;
  __asm__("lea tailor_text_table(%%rip), %0" : "=r"(table));
  unsigned sum = 0;
  for (int i = 0; i < 16; ++i) sum += table[i];
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%u\n", sum);
  return write(1, buf, (size_t)n) == n ? 0 : 1;
}
