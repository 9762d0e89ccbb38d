rtshm_asm_seqlock_try_load:
	.fnstart
	.save	{r4, r5, r6, r7, r8, r9, r11, lr}
	push	{r4, r5, r6, r7, r8, r9, r11, lr}
	mov	r2, #64
	b	.LBB_2
.LBB_1:
	subs	r2, r2, #1
	yield
	beq	.LBB_5
.LBB_2:
	ldrexd	r4, r5, [r1]
	clrex
	dmb	ish
	tst	r4, #1
	bne	.LBB_1
	ldr	r3, [r1, #16]
	ldr	r12, [r1, #20]
	ldr	lr, [r1, #24]
	ldr	r8, [r1, #28]
	dmb	ish
	ldrexd	r6, r7, [r1]
	clrex
	eor	r9, r5, r7
	eor	r4, r4, r6
	orrs	r4, r4, r9
	bne	.LBB_1
	mov	r1, #0
	stmib	r0, {r3, r12, lr}
	str	r8, [r0, #16]
	str	r1, [r0]
	pop	{r4, r5, r6, r7, r8, r9, r11, pc}
.LBB_5:
	mov	r1, #1
	str	r1, [r0]
	pop	{r4, r5, r6, r7, r8, r9, r11, pc}
.Lfunc_end_:
