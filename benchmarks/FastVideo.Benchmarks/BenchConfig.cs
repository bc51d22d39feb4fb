using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FastVideo.Benchmarks;

/// <summary>Adds the throughput columns (GFLOP/s for GEMM, GB/s for bandwidth-bound ops) to BDN's defaults.</summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddColumn(new ThroughputColumn());
        HideColumns(Column.Error, Column.StdDev);
        AddColumn(StatisticColumn.Min);
    }
}

/// <summary>
/// GFLOP/s for a benchmark with a "Shape" parameter (<see cref="GemmShape"/>), GB/s for one with "Rows"/"Cols"
/// parameters (one F32 read and one F32 write per element), from the mean time.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Throughput";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => false;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "GFLOP/s (GEMM: 2·M·N·K / mean) or GB/s (norms: 8 bytes per element / mean)";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var report = summary[benchmarkCase];
        double? ns = report?.ResultStatistics?.Mean;
        if (ns is not > 0) return "-";
        var shape = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Shape")?.Value as string;
        if (shape != null) return $"{GemmShape.Parse(shape).Flops / ns.Value:F1} GFLOP/s";
        if (benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Rows")?.Value is int rows &&
            benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Cols")?.Value is int cols)
            return $"{8.0 * rows * cols / ns.Value:F2} GB/s";
        return "-";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
}
