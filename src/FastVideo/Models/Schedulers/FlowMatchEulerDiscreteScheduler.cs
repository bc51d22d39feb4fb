using FastVideo.Backends;
using FastVideo.Rng;
using FastVideo.Tensors;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// diffusers <c>FlowMatchEulerDiscreteScheduler</c>: the Euler step of the flow ODE, x_{i+1} = x_i + (σ_{i+1} − σ_i)·v,
/// or with <c>stochastic_sampling</c> x_{i+1} = (1 − σ_{i+1})·(x_i − σ_i·v) + σ_{i+1}·ε with ε = torch.randn from
/// <see cref="Generator"/>. The schedule is <see cref="FlowMatchSchedule"/>'s (exactly diffusers main's numbers).
/// Step indices are explicit: step i uses σ_i and σ_{i+1}, as diffusers does after <c>set_begin_index(0)</c> or when
/// the timesteps are distinct (its lookup of the first timestep takes the second match of a repeated value).
/// </summary>
public sealed class FlowMatchEulerDiscreteScheduler : IScheduler
{
    private readonly float _sigmaMax, _sigmaMin;
    private float[] _timesteps = [];
    private float[] _sigmas = [];

    public FlowMatchEulerDiscreteScheduler(FlowMatchEulerDiscreteConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        (_sigmaMax, _sigmaMin) = FlowMatchSchedule.TrainingSigmaRange(config);
    }

    public FlowMatchEulerDiscreteConfig Config { get; }
    public string ClassName => FlowMatchEulerDiscreteConfig.DiffusersClassName;
    public int NumInferenceSteps => _timesteps.Length;
    public IReadOnlyList<float> Timesteps => _timesteps;
    public DType TimestepDType => DType.F32;
    public IReadOnlyList<float> Sigmas => _sigmas;
    public float InitNoiseSigma => 1f;

    /// <summary>
    /// The generator of the noise that <c>stochastic_sampling</c> draws at every step (diffusers' <c>step(...,
    /// generator=)</c>): torch.randn of the sample's shape, float32. Required when stochastic sampling is on.
    /// </summary>
    public TorchGenerator? Generator { get; set; }

    public void SetTimesteps(int numInferenceSteps) => SetTimesteps(numInferenceSteps, null, null, null);

    /// <summary>
    /// diffusers' <c>set_timesteps(num_inference_steps, sigmas=, mu=, timesteps=)</c>: custom
    /// <paramref name="sigmas"/> (before shifting) or <paramref name="timesteps"/> (σ = t/N) replace the default
    /// linspace and may give the step count; <paramref name="mu"/> is required with <c>use_dynamic_shifting</c>.
    /// When both are given, the sigmas win (diffusers then ignores the timesteps' values).
    /// </summary>
    public void SetTimesteps(int? numInferenceSteps, IReadOnlyList<double>? sigmas = null, double? mu = null, IReadOnlyList<double>? timesteps = null)
    {
        var (ts, sig) = FlowMatchSchedule.Compute(Config, _sigmaMax, _sigmaMin, numInferenceSteps, sigmas, mu, timesteps);
        _timesteps = ts;
        _sigmas = sig;
    }

    /// <summary>
    /// diffusers' <c>index_for_timestep</c>: the position of <paramref name="timestep"/> in <see cref="Timesteps"/>,
    /// the second one when it occurs more than once (so that a schedule entered in the middle does not skip a sigma).
    /// </summary>
    public int IndexForTimestep(float timestep)
    {
        int first = -1;
        for (int i = 0; i < _timesteps.Length; i++)
        {
            if (_timesteps[i] != timestep) continue;
            if (first >= 0) return i;
            first = i;
        }
        return first >= 0 ? first : throw new ArgumentException($"{ClassName}: timestep {timestep} is not in the schedule", nameof(timestep));
    }

    /// <summary>x + (σ_{i+1} − σ_i)·v (dt rounded to float32 first, as diffusers' 0-dim tensors), or the stochastic step.</summary>
    public Tensor Step(IBackend backend, Tensor modelOutput, int stepIndex, Tensor sample)
    {
        ArgumentNullException.ThrowIfNull(backend);
        SchedulerChecks.StepIndex(this, stepIndex, nameof(stepIndex));
        SchedulerChecks.StepInputs(this, modelOutput, sample);
        float sigma = _sigmas[stepIndex], next = _sigmas[stepIndex + 1];
        if (!Config.StochasticSampling)
            return backend.Axpby(1f, sample, next - sigma, modelOutput);

        var generator = Generator ?? throw new InvalidOperationException(
            $"{ClassName}: stochastic_sampling is true, so each step draws noise: set the scheduler's Generator (diffusers' step(generator=...))");
        using var scope = TensorScope.Begin();
        var x0 = backend.Axpby(1f, sample, -sigma, modelOutput);         // x − σ·v
        var noise = generator.Randn(backend, sample.ShapeSpan);
        var kept = backend.Scale(x0, 1f - next);                          // (1 − σ')·x0, rounded as torch's product
        return scope.Keep(backend.Axpby(1f, kept, next, noise));          // + σ'·ε
    }

    /// <summary>
    /// diffusers' <c>scale_noise</c> (the forward process) at the sigma of step <paramref name="stepIndex"/>:
    /// σ·noise + (1 − σ)·sample.
    /// </summary>
    public Tensor ScaleNoise(IBackend backend, Tensor sample, int stepIndex, Tensor noise)
    {
        ArgumentNullException.ThrowIfNull(backend);
        SchedulerChecks.StepIndex(this, stepIndex, nameof(stepIndex));
        SchedulerChecks.StepInputs(this, noise, sample);
        float sigma = _sigmas[stepIndex];
        using var scope = TensorScope.Begin();
        var a = backend.Scale(noise, sigma);
        return scope.Keep(backend.Axpby(1f, a, 1f - sigma, sample));
    }

    public void Dispose() { }
}
