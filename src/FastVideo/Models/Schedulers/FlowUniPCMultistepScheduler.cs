using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// diffusers <c>UniPCMultistepScheduler</c> with flow sigmas (the Wan2.1 sampler): a multistep predictor (UniP)
/// and corrector (UniC) in the data-prediction form, bh2 variant. Schedule (numpy float64, as diffusers main):
/// σ = linspace(1, 1/N, n + 1)[:−1]; σ = s·σ / (1 + (s − 1)·σ); if |σ₀ − 1| &lt; 1e−6 then σ₀ −= 1e−6;
/// timesteps = int64(σ·N) (truncation, float64 product); sigmas = float32([σ…, 0]).
/// <para>Each <see cref="Step"/> i: x0 = sample − σ_i·v; unless i = 0 or i − 1 is in
/// <c>disable_corrector</c>, the corrector replaces sample by UniC(last sample, history, x0) at the order used by
/// the previous predictor; the history shifts in x0; the predictor order is min(solver_order, n − i) with
/// <c>lower_order_final</c> (else solver_order), capped by warm-up (1, 2, …); the result is
/// UniP(sample, history) toward σ_{i+1}. Scalars are float32 as diffusers' 0-dim tensors (see
/// <see cref="UniPCCoefficients"/>); tensors are combined with <see cref="IBackend.Axpby"/> and
/// <see cref="IBackend.Sub"/>.</para>
/// </summary>
public sealed class FlowUniPCMultistepScheduler : IScheduler
{
    private float[] _timesteps = [];
    private long[] _timestepsI64 = [];
    private float[] _sigmas = [];

    // Multistep state. _history[^1] is the newest converted output (x0 prediction); entries are owned here.
    private readonly Tensor?[] _history;
    private Tensor? _lastSample;
    private int _lowerOrderNums;
    private int _thisOrder;
    private int _nextStep = -1; // the step index the next Step call must use; -1 = any (nothing taken yet)
    private bool _disposed;

    public FlowUniPCMultistepScheduler(UniPCMultistepConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        _history = new Tensor?[config.SolverOrder];
    }

    public UniPCMultistepConfig Config { get; }
    public string ClassName => UniPCMultistepConfig.DiffusersClassName;
    public int NumInferenceSteps => _timesteps.Length;
    public IReadOnlyList<float> Timesteps => _timesteps;
    /// <summary>The timesteps as diffusers holds them (int64).</summary>
    public IReadOnlyList<long> TimestepsInt64 => _timestepsI64;
    public DType TimestepDType => DType.I64;
    public IReadOnlyList<float> Sigmas => _sigmas;
    public float InitNoiseSigma => 1f;

    /// <summary>The predictor order the last <see cref="Step"/> used (0 before the first step).</summary>
    public int LastOrder => _thisOrder;

    public void SetTimesteps(int numInferenceSteps)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SchedulerChecks.StepCount(ClassName, numInferenceSteps, nameof(numInferenceSteps));
        int n = Config.NumTrainTimesteps;
        double shift = Config.Shift;
        var sigma = NumpyMath.Linspace(1.0, 1.0 / n, numInferenceSteps + 1); // the last one is dropped
        for (int i = 0; i < numInferenceSteps; i++) sigma[i] = shift * sigma[i] / (1 + (shift - 1) * sigma[i]);
        const double eps = 1e-6;
        if (Math.Abs(sigma[0] - 1) < eps) sigma[0] -= eps; // keeps log(σ₀) and log(1 − σ₀) finite
        var ts = new long[numInferenceSteps];
        var tsF = new float[numInferenceSteps];
        var sig = new float[numInferenceSteps + 1];
        for (int i = 0; i < numInferenceSteps; i++)
        {
            ts[i] = (long)(sigma[i] * n);
            tsF[i] = ts[i];
            sig[i] = (float)sigma[i];
        }
        sig[numInferenceSteps] = 0f; // final_sigmas_type "zero"
        _timestepsI64 = ts;
        _timesteps = tsF;
        _sigmas = sig;
        ResetState();
    }

    public Tensor Step(IBackend backend, Tensor modelOutput, int stepIndex, Tensor sample)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(backend);
        SchedulerChecks.StepIndex(this, stepIndex, nameof(stepIndex));
        SchedulerChecks.StepInputs(this, modelOutput, sample);
        if (_nextStep >= 0 && stepIndex != _nextStep)
            throw new ArgumentOutOfRangeException(nameof(stepIndex), stepIndex,
                $"{ClassName}: steps must be taken in order; expected step {_nextStep} (call SetTimesteps to restart)");
        if (_lastSample != null && !_lastSample.ShapeSpan.SequenceEqual(sample.ShapeSpan))
            throw new ShapeMismatchException(
                $"{ClassName}.Step: sample [{ShapeUtil.Format(sample.ShapeSpan)}] differs from the previous step's [{ShapeUtil.Format(_lastSample.ShapeSpan)}]");

        int i = stepIndex, p = Config.SolverOrder;
        using var scope = TensorScope.Begin();

        // Data prediction from the flow (velocity) output: x0 = x − σ·v.
        var x0 = backend.Axpby(1f, sample, -_sigmas[i], modelOutput);

        bool useCorrector = i > 0 && _lastSample != null && !Config.DisableCorrector.Contains(i - 1);
        var current = sample;
        if (useCorrector) current = Corrector(backend, x0, i, _thisOrder);

        // Shift the history and append x0 (the oldest entry leaves).
        _history[0]?.Dispose();
        for (int k = 0; k < p - 1; k++) _history[k] = _history[k + 1];
        _history[p - 1] = TensorScope.Detach(x0);

        int order = Config.LowerOrderFinal ? Math.Min(p, NumInferenceSteps - i) : p;
        _thisOrder = Math.Min(order, _lowerOrderNums + 1); // warm-up: the history holds only so many outputs

        _lastSample?.Dispose();
        _lastSample = TensorScope.Detach(current == sample ? sample.Share() : current);

        var next = Predictor(backend, _lastSample, i, _thisOrder);
        if (_lowerOrderNums < p) _lowerOrderNums++;
        _nextStep = i + 1;
        return scope.Keep(next);
    }

    /// <summary>UniP toward σ_{i+1} from x = the (corrected) sample at σ_i and the history (newest last).</summary>
    private Tensor Predictor(IBackend backend, Tensor x, int i, int order)
    {
        Span<float> older = stackalloc float[order - 1];
        for (int k = 1; k < order; k++) older[k - 1] = _sigmas[i - k];
        var c = UniPCCoefficients.Compute(_sigmas[i + 1], _sigmas[i], older, order, corrector: false);
        return Combine(backend, c, x, newModelOutput: null);
    }

    /// <summary>UniC at σ_i: recomputes the previous update from the last sample with the new output x0 included.</summary>
    private Tensor Corrector(IBackend backend, Tensor x0, int i, int order)
    {
        Span<float> older = stackalloc float[order - 1];
        for (int k = 1; k < order; k++) older[k - 1] = _sigmas[i - (k + 1)];
        var c = UniPCCoefficients.Compute(_sigmas[i], _sigmas[i - 1], older, order, corrector: true);
        return Combine(backend, c, _lastSample!, x0);
    }

    /// <summary>
    /// SampleScale·x − M0Scale·m0 − Σ Coeffs[k]·(m_{k+1} − m0) − CoeffNew·(x0_new − m0), where m0 is the newest
    /// history entry and m_k the k-th older one. Intermediates belong to the caller's scope.
    /// </summary>
    private Tensor Combine(IBackend backend, in UniPCCoefficients c, Tensor x, Tensor? newModelOutput)
    {
        int p = _history.Length;
        var m0 = _history[p - 1] ?? throw new InvalidOperationException("UniPC: empty history");
        var acc = backend.Axpby(c.SampleScale, x, -c.M0Scale, m0);
        for (int k = 0; k < c.Coeffs.Length; k++)
        {
            var mk = _history[p - 2 - k] ?? throw new InvalidOperationException($"UniPC: history entry {k + 1} is missing for order {c.Coeffs.Length + 1}");
            var d = backend.Sub(mk, m0);
            acc = backend.Axpby(1f, acc, -c.Coeffs[k], d);
        }
        if (newModelOutput != null)
        {
            var d = backend.Sub(newModelOutput, m0);
            acc = backend.Axpby(1f, acc, -c.CoeffNew, d);
        }
        return acc;
    }

    private void ResetState()
    {
        for (int k = 0; k < _history.Length; k++)
        {
            _history[k]?.Dispose();
            _history[k] = null;
        }
        _lastSample?.Dispose();
        _lastSample = null;
        _lowerOrderNums = 0;
        _thisOrder = 0;
        _nextStep = -1;
    }

    public void Dispose()
    {
        if (_disposed) return;
        ResetState();
        _disposed = true;
    }
}
