rtshm_asm_seqlock_store:
	.fnstart
	.save	{r4, r5, r6, r7, r11, lr}
	push	{r4, r5, r6, r7, r11, lr}
	ldrexd	r2, r3, [r0]
	clrex
	orr	r4, r2, #1
	teq	r4, r2
	beq	.LBB_3
	mov	r5, r3
.LBB_2:
	ldrexd	r6, r7, [r0]
	strexd	r7, r4, r5, [r0]
	cmp	r7, #0
	bne	.LBB_2
.LBB_3:
	adds	r4, r4, #1
	dmb	ish
	adc	r5, r3, #0
	ldr	r7, [r1]
	ldmib	r1, {r6, r12}
	ldr	r1, [r1, #12]
	str	r7, [r0, #16]
	str	r6, [r0, #20]
	str	r12, [r0, #24]
	str	r1, [r0, #28]
	dmb	ish
.LBB_4:
	ldrexd	r2, r3, [r0]
	strexd	r1, r4, r5, [r0]
	cmp	r1, #0
	bne	.LBB_4
	lsrs	r1, r5, #1
	rrx	r0, r4
	pop	{r4, r5, r6, r7, r11, pc}
.Lfunc_end_:
