rtshm_asm_seqlock_try_load:
	.fnstart
	.save	{r4, r5, r6, r7, lr}
	push	{r4, r5, r6, r7, lr}
	.setfp	r7, sp, #12
	add	r7, sp, #12
	.save	{r8, r9, r10}
	push.w	{r8, r9, r10}
	movs	r2, #64
	b	.LBB_2
.LBB_1:
	subs	r2, #1
	yield
	beq	.LBB_5
.LBB_2:
	@APP
	mrs	r6, primask
	cpsid i
	@NO_APP
	ldrd	r3, r12, [r1]
	@APP
	msr	primask, r6
	@NO_APP
	dmb	sy
	lsls	r6, r3, #31
	bne	.LBB_1
	ldr.w	lr, [r1, #16]
	ldr	r4, [r1, #20]
	ldr	r5, [r1, #24]
	ldr	r6, [r1, #28]
	dmb	sy
	@APP
	mrs	r8, primask
	cpsid i
	@NO_APP
	ldrd	r9, r10, [r1]
	eor.w	r12, r12, r10
	@APP
	msr	primask, r8
	@NO_APP
	eor.w	r3, r3, r9
	orrs.w	r3, r3, r12
	bne	.LBB_1
	movs	r1, #0
	strd	lr, r4, [r0, #4]
	strd	r5, r6, [r0, #12]
	str	r1, [r0]
	pop.w	{r8, r9, r10}
	pop	{r4, r5, r6, r7, pc}
.LBB_5:
	movs	r1, #1
	str	r1, [r0]
	pop.w	{r8, r9, r10}
	pop	{r4, r5, r6, r7, pc}
.Lfunc_end_:
