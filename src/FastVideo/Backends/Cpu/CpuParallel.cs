namespace FastVideo.Backends.Cpu;

/// <summary>
/// Splits a range of work items into contiguous chunks and runs them with <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>,
/// or inline when the work is too small to pay for the fork (a Parallel.For costs a few microseconds; below
/// ~32K cheap elements the serial loop wins on the machines we measured).
/// </summary>
internal static class CpuParallel
{
    /// <summary>Element count below which element-wise ops run serially.</summary>
    public const long SerialThreshold = 32 * 1024;

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) in chunks.
    /// <paramref name="costPerItem"/> is the work per item in "element" units (a row of length L costs L), so
    /// that the serial/parallel decision and the chunk size follow the real amount of work.
    /// Chunks are deterministic for a given (count, threads); each item is processed exactly once.
    /// </summary>
    public static void For(long count, long costPerItem, int threads, Action<long, long> body)
    {
        if (count <= 0) return;
        long work = count * Math.Max(costPerItem, 1);
        if (threads <= 1 || count == 1 || work < SerialThreshold)
        {
            body(0, count);
            return;
        }
        // A few chunks per thread balance uneven progress; each chunk keeps at least ~SerialThreshold/4 work.
        long minItems = Math.Max(1, SerialThreshold / 4 / Math.Max(costPerItem, 1));
        long chunks = Math.Min((long)threads * 4, (count + minItems - 1) / minItems);
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        long per = count / chunks, rem = count % chunks;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Parallel.For(0, (int)chunks, options, c =>
        {
            long start = c * per + Math.Min(c, rem);
            long end = start + per + (c < rem ? 1 : 0);
            body(start, end);
        });
    }
}
