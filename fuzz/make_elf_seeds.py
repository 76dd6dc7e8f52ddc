#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_elf (fuzz/corpus/elf/): tiny hand-made ELF files, one per
class, that reach every part of the reader — program headers (PT_INTERP, PT_NOTE), notes (a GNU
build id and a Go build id), .dynamic with DT_NEEDED/DT_SONAME/DT_PLTGOT, .dynsym/.dynstr,
.symtab/.strtab, .rela.plt/.rel.plt with JUMP_SLOT relocations and matching .plt stubs, an
.init_array filled by a RELATIVE relocation, and executable code — plus a truncated header, and
every input that once made fuzz_elf fail (fuzz/regressions/elf/*.hex, kept as text).
Real binaries are kilobytes; these are a few hundred bytes, so the repository can keep them.
Virtual addresses equal file offsets. Run from anywhere: python3 fuzz/make_elf_seeds.py
"""
import os
import sys
import struct

OUT = "elf-seeds"  # default output directory; scripts/test.sh passes build-fuzz/seeds/elf


def build(is64):
    ptr = 8 if is64 else 4
    P = "<Q" if is64 else "<I"
    ehsize, phentsize, shentsize = (64, 56, 64) if is64 else (52, 32, 40)
    machine = 62 if is64 else 3  # EM_X86_64, EM_386
    rela = is64  # i386 uses REL
    jump_slot, relative = 7, 8  # same numbers for R_X86_64_* and R_386_*

    blobs = []  # (name, type, flags, bytes, link, info, entsize)
    off = ehsize + 3 * phentsize

    def place(data):
        nonlocal off
        off = (off + 7) & ~7
        at = off
        off += len(data)
        return at

    def note(owner, ntype, desc):
        o = owner.encode() + b"\0"
        o += b"\0" * (-len(o) % 4)
        d = desc + b"\0" * (-len(desc) % 4)
        return struct.pack("<III", len(owner) + 1, len(desc), ntype) + o + d

    interp = b"/lib/ld.so\0"
    notes = note("GNU", 3, bytes(range(8))) + note("Go", 4, b"gobuildid")
    dynstr = b"\0libc.so.6\0write\0puts\0libseed.so\0f\0"
    name = {s: dynstr.index(s.encode() + b"\0") for s in ("libc.so.6", "write", "puts", "libseed.so", "f")}

    def sym(nm, value, size, info, shndx):
        if is64:
            return struct.pack("<IBBHQQ", nm, info, 0, shndx, value, size)
        return struct.pack("<IIIBBH", nm, value, size, info, 0, shndx)

    # Section indices: 1 .interp 2 .note 3 .dynstr 4 .dynsym 5 .rel(a).plt 6 .plt 7 .text
    # 8 .got 9 .init_array 10 .rel(a).dyn 11 .dynamic 12 .symtab 13 .strtab 14 .shstrtab
    text = b"\xb8\x01\x00\x00\x00\x0f\x05\xc3"  # mov eax,1; syscall; ret
    at = {}
    at["interp"] = place(interp)
    at["note"] = place(notes)
    at["dynstr"] = place(dynstr)
    dynsym = sym(0, 0, 0, 0, 0) + sym(name["write"], 0, 0, 0x12, 0) + sym(name["puts"], 0, 0, 0x12, 0)
    dynsym_len = len(dynsym) + len(sym(0, 0, 0, 0, 0))
    at["dynsym"] = place(b"\0" * dynsym_len)
    relent = (24 if rela else 8) if is64 else 8
    at["relplt"] = place(b"\0" * 2 * relent)
    at["plt"] = place(b"\0" * 48)
    at["text"] = place(text)
    at["got"] = place(b"\0" * 5 * ptr)
    at["init"] = place(b"\0" * 2 * ptr)
    at["reldyn"] = place(b"\0" * relent)
    at["dynamic"] = place(b"\0" * 5 * 2 * ptr)
    at["symtab"] = place(b"\0" * 2 * (24 if is64 else 16))
    strtab = b"\0main\0"
    at["strtab"] = place(strtab)
    shstr = b"\0.interp\0.note\0.dynstr\0.dynsym\0.rela.plt\0.rel.plt\0.plt\0.text\0.got\0.init_array\0.rela.dyn\0.rel.dyn\0.dynamic\0.symtab\0.strtab\0.shstrtab\0"
    at["shstrtab"] = place(shstr)
    shoff = (off + 7) & ~7
    img = bytearray(shoff + 15 * shentsize)

    def put(o, b):
        img[o:o + len(b)] = b

    text_addr = at["text"]
    dynsym += sym(name["f"], text_addr, len(text), 0x12, 7)
    got = [at["got"] + 3 * ptr, at["got"] + 4 * ptr]

    def rel(offset, rtype, symi, addend=0):
        if is64:
            return struct.pack("<QQq", offset, (symi << 32) | rtype, addend)
        return struct.pack("<II", offset, (symi << 8) | rtype)

    plt = bytearray(b"\x90" * 16)  # PLT0 (lazy resolver), not decoded
    for i, g in enumerate(got):
        stub = at["plt"] + 16 + 16 * i
        if is64:
            jmp = b"\xff\x25" + struct.pack("<i", g - (stub + 6))  # jmp *rel32(%rip)
        else:
            jmp = b"\xff\x25" + struct.pack("<I", g)  # jmp *abs32
        plt += jmp + b"\x68" + struct.pack("<I", i) + b"\xe9\0\0\0\0"
    dyn = b"".join(struct.pack("<qQ" if is64 else "<iI", t, v)
                   for t, v in ((1, name["libc.so.6"]), (14, name["libseed.so"]), (3, at["got"]), (0, 0)))
    symtab = sym(0, 0, 0, 0, 0) + sym(1, text_addr, len(text), 0x12, 7)
    init = struct.pack(P, 0) + struct.pack(P, text_addr)

    put(at["interp"], interp)
    put(at["note"], notes)
    put(at["dynstr"], dynstr)
    put(at["dynsym"], dynsym)
    put(at["relplt"], rel(got[0], jump_slot, 1) + rel(got[1], jump_slot, 2))
    put(at["plt"], bytes(plt))
    put(at["text"], text)
    put(at["init"], init)
    put(at["reldyn"], rel(at["init"], relative, 0, text_addr) if rela
        else struct.pack("<II", at["init"] + ptr, relative))
    put(at["dynamic"], dyn)
    put(at["symtab"], symtab)
    put(at["strtab"], strtab)
    put(at["shstrtab"], shstr)

    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1, 0]) + b"\0" * 8
    fmt = "<16sHHIQQQIHHHHHH" if is64 else "<16sHHIIIIIHHHHHH"
    put(0, struct.pack(fmt, ident, 3, machine, 1, text_addr, ehsize, shoff, 0, ehsize,
                       phentsize, 3, shentsize, 15, 14))

    def phdr(ptype, o, size, align):
        if is64:
            return struct.pack("<IIQQQQQQ", ptype, 4, o, o, o, size, size, align)
        return struct.pack("<IIIIIIII", ptype, o, o, o, size, size, 4, align)

    put(ehsize, phdr(3, at["interp"], len(interp), 1) + phdr(4, at["note"], len(notes), 4) +
        phdr(2, at["dynamic"], len(dyn), ptr))

    def shdr(nm, stype, flags, o, size, link, info, entsize, align=8):
        if is64:
            return struct.pack("<IIQQQQIIQQ", nm, stype, flags, o, o, size, link, info, align, entsize)
        return struct.pack("<IIIIIIIIII", nm, stype, flags, o, o, size, link, info, align, entsize)

    def sn(s):
        return shstr.index(s.encode() + b"\0")

    relname = ".rela.plt" if rela else ".rel.plt"
    reltype = 4 if rela else 9  # SHT_RELA, SHT_REL
    symsize = 24 if is64 else 16
    shdrs = [
        b"\0" * shentsize,
        shdr(sn(".interp"), 1, 2, at["interp"], len(interp), 0, 0, 0, 1),
        shdr(sn(".note"), 7, 2, at["note"], len(notes), 0, 0, 0, 4),
        shdr(sn(".dynstr"), 3, 2, at["dynstr"], len(dynstr), 0, 0, 0, 1),
        shdr(sn(".dynsym"), 11, 2, at["dynsym"], len(dynsym), 3, 1, symsize),
        shdr(sn(relname), reltype, 0x42, at["relplt"], 2 * relent, 4, 6, relent),
        shdr(sn(".plt"), 1, 6, at["plt"], len(plt), 0, 0, 16, 16),
        shdr(sn(".text"), 1, 6, at["text"], len(text), 0, 0, 0, 16),
        shdr(sn(".got"), 1, 3, at["got"], 5 * ptr, 0, 0, ptr),
        shdr(sn(".init_array"), 14, 3, at["init"], 2 * ptr, 0, 0, ptr),
        shdr(sn(".rela.dyn" if rela else ".rel.dyn"), reltype, 2, at["reldyn"], relent, 4, 0, relent),
        shdr(sn(".dynamic"), 6, 3, at["dynamic"], len(dyn), 3, 0, 2 * ptr),
        shdr(sn(".symtab"), 2, 0, at["symtab"], len(symtab), 13, 1, symsize),
        shdr(sn(".strtab"), 3, 0, at["strtab"], len(strtab), 0, 0, 0, 1),
        shdr(sn(".shstrtab"), 3, 0, at["shstrtab"], len(shstr), 0, 0, 0, 1),
    ]
    put(shoff, b"".join(shdrs))
    return bytes(img)


def main():
    # The seeds are made, not committed (tailor keeps no binaries in the repository):
    # scripts/test.sh writes them into the build tree before fuzzing.
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    os.makedirs(out, exist_ok=True)
    seeds = {"x86_64.elf": build(True), "i386.elf": build(False)}
    seeds["truncated.elf"] = seeds["x86_64.elf"][:40]
    # Inputs that once failed fuzz_elf (fuzz/regressions/elf/*.hex, text: '#' comments, hex).
    regressions = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions", "elf")
    if os.path.isdir(regressions):
        for name in sorted(os.listdir(regressions)):
            if name.endswith(".hex"):
                with open(os.path.join(regressions, name)) as f:
                    text = "".join(l for l in f if not l.startswith("#"))
                seeds["regression-" + name[:-4] + ".elf"] = bytes.fromhex("".join(text.split()))
    for fname, data in seeds.items():
        with open(os.path.join(out, fname), "wb") as f:
            f.write(data)
        print(fname, len(data))


if __name__ == "__main__":
    main()
