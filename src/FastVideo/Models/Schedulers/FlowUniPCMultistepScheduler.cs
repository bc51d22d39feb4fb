using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// diffusers <c>UniPCMultistepScheduler</c> with flow sigmas (the Wan2.1 sampler) or the VP schedule: a multistep
/// predictor (UniP) and corrector (UniC), bh1 or bh2, in the data-prediction (<c>predict_x0</c>) or noise-prediction
/// form. The schedule is <see cref="UniPCSchedule"/>'s (exactly diffusers main's numbers).
/// <para>Each <see cref="Step"/> i: the model output is converted to the solver's variable (x0 = x − σ_i·v for
/// flow prediction, optionally thresholded; see <see cref="ConvertModelOutput"/>); unless i = 0 or i − 1 is in
/// <c>disable_corrector</c>, the corrector replaces sample by UniC(last sample, history, converted output) at the
/// order used by the previous predictor; the history shifts in the converted output; the predictor order is
/// min(solver_order, n − i) with <c>lower_order_final</c> (else solver_order), capped by warm-up (1, 2, …); the
/// result is UniP(sample, history) toward σ_{i+1}. Scalars are float32 as diffusers' 0-dim tensors (see
/// <see cref="UniPCCoefficients"/>); tensors are combined with <see cref="IBackend.Axpby"/> and <see cref="IBackend.Sub"/>.</para>
/// <para>Step indices are explicit: step i uses σ_i, as diffusers does after <c>set_begin_index(0)</c> (which
/// WanPipeline calls). Without it diffusers looks the first timestep up and, when the int64 timesteps start with a
/// repeated value (e.g. 1000 steps, or 100 steps with flow_shift 12), begins at index 1 and fails on its last step.</para>
/// </summary>
public sealed class FlowUniPCMultistepScheduler : IScheduler
{
    private float[] _timesteps = [];
    private long[] _timestepsI64 = [];
    private float[] _sigmas = [];

    // Multistep state. _history[^1] is the newest converted output; entries are owned here.
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

    public void SetTimesteps(int numInferenceSteps) => SetTimesteps(numInferenceSteps, null, null);

    /// <summary>
    /// diffusers' <c>set_timesteps(num_inference_steps, sigmas=, mu=)</c>: <paramref name="sigmas"/> (a float64 array,
    /// before shifting) replaces the default linspace and sets the step count; <paramref name="mu"/> is required
    /// with <c>use_dynamic_shifting</c>. Resets the multistep state.
    /// </summary>
    public void SetTimesteps(int? numInferenceSteps, IReadOnlyList<double>? sigmas = null, double? mu = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (ts, sig) = UniPCSchedule.Compute(Config, numInferenceSteps, sigmas, mu);
        Config.ValidateSteps(sig, ClassName);
        _timestepsI64 = ts;
        _timesteps = ts.Select(t => (float)t).ToArray();
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

        var converted = ConvertModelOutput(backend, modelOutput, i, sample);

        bool useCorrector = i > 0 && _lastSample != null && !Config.DisableCorrector.Contains(i - 1);
        var current = sample;
        if (useCorrector) current = Corrector(backend, converted, i, _thisOrder);

        // Shift the history and append the converted output (the oldest entry leaves).
        _history[0]?.Dispose();
        for (int k = 0; k < p - 1; k++) _history[k] = _history[k + 1];
        _history[p - 1] = TensorScope.Detach(converted);

        int order = Config.LowerOrderFinal ? Math.Min(p, NumInferenceSteps - i) : p;
        _thisOrder = Math.Min(order, _lowerOrderNums + 1); // warm-up: the history holds only so many outputs

        _lastSample?.Dispose();
        _lastSample = TensorScope.Detach(current == sample ? sample.Share() : current);

        var next = Predictor(backend, _lastSample, i, _thisOrder);
        if (_lowerOrderNums < p) _lowerOrderNums++;
        _nextStep = i + 1;
        return scope.Keep(next);
    }

    /// <summary>
    /// diffusers' <c>convert_model_output</c> with (α, σ) of σ_i (flow: 1 − σ_i, σ_i; VP: 1/√(σ_i² + 1), σ_i·α).
    /// Data form (x0): flow x − σ_i·v (the schedule's σ_i itself); epsilon
    /// (x − σ·ε)/α; sample the output itself; v α·x − σ·v; then dynamic thresholding if configured. Noise form (ε):
    /// epsilon the output itself; sample (x − α·x̂0)/σ; v α·v + σ·x. The result is a new tensor of the caller's scope.
    /// </summary>
    private Tensor ConvertModelOutput(IBackend backend, Tensor modelOutput, int i, Tensor sample)
    {
        float raw = _sigmas[i];
        var (alpha, sigma) = UniPCCoefficients.AlphaSigma(raw, Config.UseFlowSigmas);
        Tensor result;
        if (Config.PredictX0)
        {
            result = Config.PredictionType switch
            {
                "flow_prediction" => backend.Axpby(1f, sample, -raw, modelOutput), // the schedule's σ, also with VP sigmas
                "epsilon" => DivScalar(backend, backend.Axpby(1f, sample, -sigma, modelOutput), alpha),
                "sample" => backend.Copy(modelOutput),
                "v_prediction" => backend.Axpby(1f, backend.Scale(sample, alpha), -sigma, modelOutput),
                _ => throw new InvalidOperationException($"prediction_type {Config.PredictionType}"),
            };
            if (Config.Thresholding)
                result = DynamicThresholding.Apply(backend, result, Config.DynamicThresholdingRatio, Config.SampleMaxValue);
        }
        else
        {
            result = Config.PredictionType switch
            {
                "epsilon" => backend.Copy(modelOutput),
                "sample" => DivScalar(backend, backend.Axpby(1f, sample, -alpha, modelOutput), sigma),
                "v_prediction" => backend.Axpby(1f, backend.Scale(modelOutput, alpha), sigma, sample),
                _ => throw new InvalidOperationException($"prediction_type {Config.PredictionType} with predict_x0 false"),
            };
        }
        return result;
    }

    /// <summary>x / s as a true division (torch divides by the 0-dim tensor; a reciprocal product could differ in the last bit).</summary>
    private static Tensor DivScalar(IBackend backend, Tensor x, float s)
    {
        var d = backend.Full([1], s);
        return backend.Div(x, d);
    }

    /// <summary>UniP toward σ_{i+1} from x = the (corrected) sample at σ_i and the history (newest last).</summary>
    private Tensor Predictor(IBackend backend, Tensor x, int i, int order)
    {
        Span<float> older = stackalloc float[order - 1];
        for (int k = 1; k < order; k++) older[k - 1] = _sigmas[i - k];
        var c = UniPCCoefficients.Compute(_sigmas[i + 1], _sigmas[i], older, order, corrector: false, Config.PredictX0, Config.SolverType == "bh1", Config.UseFlowSigmas);
        return Combine(backend, c, x, newModelOutput: null);
    }

    /// <summary>UniC at σ_i: recomputes the previous update from the last sample with the new converted output included.</summary>
    private Tensor Corrector(IBackend backend, Tensor converted, int i, int order)
    {
        Span<float> older = stackalloc float[order - 1];
        for (int k = 1; k < order; k++) older[k - 1] = _sigmas[i - (k + 1)];
        var c = UniPCCoefficients.Compute(_sigmas[i], _sigmas[i - 1], older, order, corrector: true, Config.PredictX0, Config.SolverType == "bh1", Config.UseFlowSigmas);
        return Combine(backend, c, _lastSample!, converted);
    }

    /// <summary>
    /// SampleScale·x − M0Scale·m0 − BaseScale·(Σ ρ_k·(m_k − m0)/r_k + ρ_new·(new − m0)), with the roundings of
    /// diffusers' tensor expression: every product and sum rounded on its own (Scale, then Axpby with α = 1, which
    /// rounds β·b before adding), the differences divided by r_k. Near σ = 1 the noise-prediction form scales x by
    /// α_t/α_s0 ≈ 1e5 before a cancellation, and only the same rounding sequence reproduces diffusers' float32 result
    /// there. Intermediates belong to the caller's scope.
    /// </summary>
    private Tensor Combine(IBackend backend, in UniPCCoefficients c, Tensor x, Tensor? newModelOutput)
    {
        int p = _history.Length;
        var m0 = _history[p - 1] ?? throw new InvalidOperationException("UniPC: empty history");
        var acc = backend.Axpby(1f, backend.Scale(x, c.SampleScale), -c.M0Scale, m0);
        Tensor? res = null;
        for (int k = 0; k < c.Rhos.Length; k++)
        {
            var mk = _history[p - 2 - k] ?? throw new InvalidOperationException($"UniPC: history entry {k + 1} is missing for order {c.Rhos.Length + 1}");
            var d1 = DivScalar(backend, backend.Sub(mk, m0), c.Rks[k]);
            res = res is null ? backend.Scale(d1, c.Rhos[k]) : backend.Axpby(1f, res, c.Rhos[k], d1);
        }
        if (newModelOutput != null)
        {
            var term = backend.Scale(backend.Sub(newModelOutput, m0), c.RhoNew);
            res = res is null ? term : backend.Add(res, term);
        }
        return res is null ? acc : backend.Axpby(1f, acc, -c.BaseScale, res);
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
