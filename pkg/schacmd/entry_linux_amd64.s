#include "textflag.h"

// entry is the scha_* commands' process entry point (see entry.go): the
// kernel's initial stack is argc, argv[0..argc-1], NULL, envp..., NULL,
// auxv. Unless envp holds a GOMAXPROCS= entry, it moves argc, argv and
// envp down one slot and puts maxprocsEnv in the freed slot just before
// envp's NULL; auxv, after that NULL, stays where the runtime looks for
// it. Then the runtime starts as it always does.
TEXT ·entry(SB),NOSPLIT|NOFRAME,$0
	MOVQ	0(SP), CX		// argc
	LEAQ	16(SP)(CX*8), DI	// envp: past argc, argv[0:argc] and its NULL
scan:
	MOVQ	0(DI), SI
	TESTQ	SI, SI
	JZ	insert
	LEAQ	·maxprocsEnv(SB), R9
	MOVQ	$11, R10		// len("GOMAXPROCS=")
compare:
	MOVB	0(SI), AX		// a shorter entry differs at its NUL
	CMPB	AX, 0(R9)
	JNE	next
	INCQ	SI
	INCQ	R9
	DECQ	R10
	JNZ	compare
	JMP	start			// set by the caller: leave it alone
next:
	ADDQ	$8, DI
	JMP	scan
insert:
	MOVQ	SP, R8
	SUBQ	$8, SP
move:
	CMPQ	R8, DI
	JEQ	moved
	MOVQ	0(R8), AX
	MOVQ	AX, -8(R8)
	ADDQ	$8, R8
	JMP	move
moved:
	LEAQ	·maxprocsEnv(SB), AX
	MOVQ	AX, -8(DI)
start:
	JMP	_rt0_amd64_linux(SB)

DATA ·maxprocsEnv+0(SB)/8, $"GOMAXPRO"
DATA ·maxprocsEnv+8(SB)/4, $"CS=1"
DATA ·maxprocsEnv+12(SB)/1, $0
GLOBL ·maxprocsEnv(SB), RODATA|NOPTR, $13
