rtshm_asm_seqlock_try_load:
	movq	%rdi, %rax
	movl	$64, %ecx
	jmp	.LBB_1
.LBB_5:
	pause
	addl	$-2, %ecx
	je	.LBB_6
.LBB_1:
	movq	(%rsi), %r8
	#MEMBARRIER
	testb	$1, %r8b
	jne	.LBB_3
	movq	16(%rsi), %rdx
	movq	24(%rsi), %rdi
	#MEMBARRIER
	movq	(%rsi), %r9
	cmpq	%r9, %r8
	je	.LBB_7
.LBB_3:
	pause
	movq	(%rsi), %r8
	#MEMBARRIER
	testb	$1, %r8b
	jne	.LBB_5
	movq	16(%rsi), %rdx
	movq	24(%rsi), %rdi
	#MEMBARRIER
	movq	(%rsi), %r9
	cmpq	%r9, %r8
	jne	.LBB_5
.LBB_7:
	movq	%rdx, 4(%rax)
	movq	%rdi, 12(%rax)
	xorl	%ecx, %ecx
	movl	%ecx, (%rax)
	retq
.LBB_6:
	movl	$1, %ecx
	movl	%ecx, (%rax)
	retq
.Lfunc_end_:
