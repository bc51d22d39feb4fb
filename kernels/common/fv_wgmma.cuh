// fv_wgmma.cuh — wrappers of the sm_90a wgmma instructions flash_attn_hopper.cu uses (f32 accumulators). SS: A
// and B from shared memory descriptors, both K-major (no transpose). RS: A from registers (the mma.sync A-fragment
// layout per warp), B from shared memory, MN-major (transpose-B = 1). scale-d = true (accumulate into d): callers
// zero the accumulators first. The operand lists are long and regular, so two macros write the six wrappers
// (m64n64 SS; m64n64 and m64n128 RS; bf16 and f16 each); after string-literal concatenation the compiler sees
// exactly the asm of the hand-written wrappers they replaced (checked token by token when they were introduced).
// Only valid for sm_90a; flash_attn_hopper.cu includes it inside its sm_90a guard.
#pragma once
#include "fv_common.cuh"

#ifndef FV_EMULATE // the CPU emulator (kernels/dev/emu/fv_emu_sm90.h) defines these names itself

// The accumulator operands of an m64nN f32 wgmma: N / 2 registers per thread.
#define FV_WG_ACC32 \
    "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), \
    "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), \
    "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
    "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
#define FV_WG_ACC64 \
    FV_WG_ACC32, \
    "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), \
    "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), \
    "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), \
    "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
#define FV_WG_REGS32 \
    "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, " \
    "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31}"
#define FV_WG_REGS64 \
    "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, " \
    "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, " \
    "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, " \
    "%62, %63}"

// The asm text up to the A operand: the scale-d predicate from operand %PRED, the instruction, the accumulators.
#define FV_WGMMA_HEAD(N, TYPE, REGS, PRED)                                    \
    "{\n"                                                                     \
    ".reg .pred p;\n"                                                         \
    "setp.ne.b32 p, %" #PRED ", 0;\n"                                          \
    "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." #TYPE "." #TYPE " " REGS ", "

// d (N/2 accumulators, operands %0..) += A (desc_a, %A) · B (desc_b, %B)ᵀ.
#define FV_WGMMA_SS(N, TYPE, ACC, REGS, A, B, PRED)                                         \
    FV_DEVICE void fv_wgmma_ss_m64n##N##k16_##TYPE(float* d, fv_u64 desc_a, fv_u64 desc_b) \
    {                                                                                     \
        asm volatile(FV_WGMMA_HEAD(N, TYPE, REGS, PRED) "%" #A ", %" #B ", p, 1, 1, 0, 0;\n" \
                     "}\n"                                                                \
                     : ACC                                                                \
                     : "l"(desc_a), "l"(desc_b), "r"(1));                                 \
    }

// d += A (4 registers, %A0..%A3) · B (desc_b, %B, MN-major, transpose-B).
#define FV_WGMMA_RS_TB(N, TYPE, ACC, REGS, A0, A1, A2, A3, B, PRED)                              \
    FV_DEVICE void fv_wgmma_rs_m64n##N##k16_##TYPE##_tb(float* d, const fv_u32* a, fv_u64 desc_b) \
    {                                                                                            \
        asm volatile(FV_WGMMA_HEAD(N, TYPE, REGS, PRED)                                          \
                     "{%" #A0 ", %" #A1 ", %" #A2 ", %" #A3 "}, %" #B ", p, 1, 1, 1;\n"              \
                     "}\n"                                                                       \
                     : ACC                                                                       \
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(1));         \
    }

FV_WGMMA_SS(64, bf16, FV_WG_ACC32, FV_WG_REGS32, 32, 33, 34)
FV_WGMMA_RS_TB(64, bf16, FV_WG_ACC32, FV_WG_REGS32, 32, 33, 34, 35, 36, 37)
FV_WGMMA_RS_TB(128, bf16, FV_WG_ACC64, FV_WG_REGS64, 64, 65, 66, 67, 68, 69)
FV_WGMMA_SS(64, f16, FV_WG_ACC32, FV_WG_REGS32, 32, 33, 34)
FV_WGMMA_RS_TB(64, f16, FV_WG_ACC32, FV_WG_REGS32, 32, 33, 34, 35, 36, 37)
FV_WGMMA_RS_TB(128, f16, FV_WG_ACC64, FV_WG_REGS64, 64, 65, 66, 67, 68, 69)
#endif // FV_EMULATE
