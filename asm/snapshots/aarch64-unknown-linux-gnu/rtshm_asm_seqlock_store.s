rtshm_asm_seqlock_store:
	ldr	x10, [x0]
	mov	x8, x0
	orr	x9, x10, #0x1
	cmp	x9, x10
	b.eq	.LBB_2
	str	x9, [x8]
.LBB_2:
	dmb	ish
	add	x9, x9, #1
	ldp	x11, x10, [x1]
	lsr	x0, x9, #1
	str	x11, [x8, #16]
	str	x10, [x8, #24]
	stlr	x9, [x8]
	ret
.Lfunc_end_:
