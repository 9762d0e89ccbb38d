rtshm_asm_seqlock_store:
	movq	(%rdi), %rcx
	movq	%rcx, %rax
	orq	$1, %rax
	cmpq	%rcx, %rax
	je	.LBB_2
	movq	%rax, (%rdi)
.LBB_2:
	#MEMBARRIER
	movq	(%rsi), %rcx
	movq	%rcx, 16(%rdi)
	movq	8(%rsi), %rcx
	movq	%rcx, 24(%rdi)
	incq	%rax
	movq	%rax, (%rdi)
	shrq	%rax
	retq
.Lfunc_end_:
