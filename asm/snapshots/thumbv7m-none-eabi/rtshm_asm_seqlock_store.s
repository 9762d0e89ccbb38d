rtshm_asm_seqlock_store:
	.fnstart
	@APP
	mrs	r3, primask
	cpsid i
	@NO_APP
	ldrd	r2, r12, [r0]
	@APP
	msr	primask, r3
	@NO_APP
	orr	r3, r2, #1
	teq.w	r3, r2
	beq	.LBB_2
	@APP
	mrs	r2, primask
	cpsid i
	@NO_APP
	strd	r3, r12, [r0]
	@APP
	msr	primask, r2
	@NO_APP
.LBB_2:
	.save	{r4, r6, r7, lr}
	push	{r4, r6, r7, lr}
	.setfp	r7, sp, #8
	add	r7, sp, #8
	dmb	sy
	ldrd	r2, lr, [r1]
	ldrd	r4, r1, [r1, #8]
	str	r2, [r0, #16]
	adds	r2, r3, #1
	str.w	lr, [r0, #20]
	str	r4, [r0, #24]
	str	r1, [r0, #28]
	adc	r1, r12, #0
	@APP
	mrs	r3, primask
	cpsid i
	@NO_APP
	strd	r2, r1, [r0]
	lsrs.w	r1, r1, #1
	rrx	r0, r2
	@APP
	msr	primask, r3
	@NO_APP
	pop	{r4, r6, r7, pc}
.Lfunc_end_:
