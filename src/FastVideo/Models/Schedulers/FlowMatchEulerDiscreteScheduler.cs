using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// diffusers <c>FlowMatchEulerDiscreteScheduler</c> (static shift, deterministic): the Euler step of the
/// flow ODE, x_{i+1} = x_i + (σ_{i+1} − σ_i)·v. The schedule follows the library's precision exactly:
/// <list type="number">
/// <item>construction (torch float32): σ_train[k] = s·u / (1 + (s − 1)·u) with u = (N − k)/N, k = 0..N−1;
/// σ_max = σ_train[0], σ_min = σ_train[N−1] (float32 values);</item>
/// <item><see cref="SetTimesteps"/> (numpy float64): t = linspace(σ_max·N, σ_min·N, n); σ = t/N;
/// σ = s·σ / (1 + (s − 1)·σ); then σ is cast to float32, timesteps = float32(σ)·N in float32, and σ gets a final 0.</item>
/// </list>
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
        (_sigmaMax, _sigmaMin) = TrainingSigmaRange(config.NumTrainTimesteps, config.Shift);
    }

    public FlowMatchEulerDiscreteConfig Config { get; }
    public string ClassName => FlowMatchEulerDiscreteConfig.DiffusersClassName;
    public int NumInferenceSteps => _timesteps.Length;
    public IReadOnlyList<float> Timesteps => _timesteps;
    public DType TimestepDType => DType.F32;
    public IReadOnlyList<float> Sigmas => _sigmas;
    public float InitNoiseSigma => 1f;

    /// <summary>
    /// The first and last of the shifted training sigmas, computed in float32 as diffusers' constructor does
    /// (torch ops with Python-scalar operands rounded to float32).
    /// </summary>
    private static (float Max, float Min) TrainingSigmaRange(int n, double shift)
    {
        float s = (float)shift, sm1 = (float)(shift - 1.0);
        float Shifted(int t)
        {
            float u = t / (float)n;          // timesteps / num_train_timesteps (float32 division)
            float num = s * u;
            float den = 1f + sm1 * u;
            return num / den;
        }
        return (Shifted(n), Shifted(1));
    }

    public void SetTimesteps(int numInferenceSteps)
    {
        SchedulerChecks.StepCount(ClassName, numInferenceSteps, nameof(numInferenceSteps));
        int n = Config.NumTrainTimesteps;
        double shift = Config.Shift;
        var t = NumpyMath.Linspace((double)_sigmaMax * n, (double)_sigmaMin * n, numInferenceSteps);
        var timesteps = new float[numInferenceSteps];
        var sigmas = new float[numInferenceSteps + 1];
        for (int i = 0; i < numInferenceSteps; i++)
        {
            double sigma = t[i] / n;
            sigma = shift * sigma / (1 + (shift - 1) * sigma);
            float s32 = (float)sigma;
            sigmas[i] = s32;
            timesteps[i] = s32 * n; // float32 tensor · int
        }
        sigmas[numInferenceSteps] = 0f;
        _timesteps = timesteps;
        _sigmas = sigmas;
    }

    /// <summary>x + (σ_{i+1} − σ_i)·v, with dt rounded to float32 first (as diffusers' 0-dim tensors do).</summary>
    public Tensor Step(IBackend backend, Tensor modelOutput, int stepIndex, Tensor sample)
    {
        ArgumentNullException.ThrowIfNull(backend);
        SchedulerChecks.StepIndex(this, stepIndex, nameof(stepIndex));
        SchedulerChecks.StepInputs(this, modelOutput, sample);
        float dt = _sigmas[stepIndex + 1] - _sigmas[stepIndex];
        return backend.Axpby(1f, sample, dt, modelOutput);
    }

    public void Dispose() { }
}
