/* A guest that only writes: sector n of its boot disk gets n, as 128
 * little-endian u32s, for n = 1, 2, 3, ... through the BIOS (int 13h,
 * extended write), until sector LAST; then it halts. Its stack and
 * buffer stay clear of what SeaBIOS uses above 0x7e00 (with the buffer
 * at 0x8000 it stopped after 3131 writes). */
.code16
.globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x6000, %sp
    sti
    mov %dl, drive
next:
    /* The BIOS may leave ES (and the direction flag) changed. */
    xor %ax, %ax
    mov %ax, %es
    mov %ax, %ds
    cld
    mov $0x2000, %di
    mov lba, %eax
    mov $128, %cx
    rep stosl
    mov lba, %eax
    mov %eax, dap_lba
    mov $dap, %si
    mov $0x43, %ah
    xor %al, %al
    mov drive, %dl
    int $0x13
    jc stop
    incl lba
    cmpl $LAST, lba
    jbe next
stop:
    cli
    hlt
    jmp stop

drive: .byte 0
.align 4
lba: .long 1
dap:
    .byte 16, 0
    .word 1          /* sectors */
    .word 0x2000, 0  /* buffer offset, segment */
dap_lba: .long 0, 0

.org 510
.byte 0x55, 0xaa
