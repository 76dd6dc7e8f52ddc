// Hand-written aarch64 code for test/test_aarch64.cpp: the forms of setting x8 that a compiler
// chooses only sometimes, so the test does not depend on one clang version's code generation.
// Assembled by clang to an object file; read by the analyzer, never run. Each function makes
// one `svc #0`; the comment says what the analyzer must find (asm-generic numbers).

        .text
        .globl  ext_fn

// write (64): the bitmask-immediate form of mov.
        .globl  orr_form
        .type   orr_form, %function
orr_form:
        orr     w8, wzr, #0x40
        svc     #0
        ret
        .size   orr_form, .-orr_form

// getpid (172): x19 is callee-saved, so its value survives the call to ext_fn.
        .globl  callee_saved
        .type   callee_saved, %function
callee_saved:
        mov     w19, #172
        bl      ext_fn
        mov     x8, x19
        svc     #0
        ret
        .size   callee_saved, .-callee_saved

// Unresolved: x8 is caller-saved, the call to ext_fn may change it.
        .globl  clobbered
        .type   clobbered, %function
clobbered:
        mov     w8, #172
        bl      ext_fn
        svc     #0
        ret
        .size   clobbered, .-clobbered

// exit_group (94): movz with its shift spelled out, through a copy to x9 and back.
        .globl  movz_copy
        .type   movz_copy, %function
movz_copy:
        movz    x9, #94, lsl #0
        cmp     x9, #3
        mov     x8, x9
        svc     #0
        ret
        .size   movz_copy, .-movz_copy

// A wrapper on its second argument (x1): the number moves from x1 through x10.
        .globl  second_arg
        .type   second_arg, %function
second_arg:
        mov     x10, x1
        mov     x8, x10
        svc     #0
        ret
        .size   second_arg, .-second_arg

// Unresolved: a post-indexed load changes its base register x8 after the constant.
        .globl  writeback
        .type   writeback, %function
writeback:
        mov     x8, #63
        ldr     x0, [x8], #8
        svc     #0
        ret
        .size   writeback, .-writeback
