rtshm_asm_seqlock_try_load:
	mov	w9, #64
	b	.LBB_2
.LBB_1:
	isb
	subs	w9, w9, #1
	b.eq	.LBB_5
.LBB_2:
	ldr	x10, [x0]
	dmb	ishld
	tbnz	w10, #0, .LBB_1
	ldr	x11, [x0, #16]
	ldr	x12, [x0, #24]
	dmb	ishld
	ldr	x13, [x0]
	cmp	x10, x13
	b.ne	.LBB_1
	stur	x11, [x8, #4]
	stur	x12, [x8, #12]
	str	wzr, [x8]
	ret
.LBB_5:
	mov	w9, #1
	str	w9, [x8]
	ret
.Lfunc_end_:
