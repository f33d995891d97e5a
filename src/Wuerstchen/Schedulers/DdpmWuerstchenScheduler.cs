using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Schedulers;

/// <summary>
/// diffusers' <c>DDPMWuerstchenScheduler</c>: continuous time t ∈ [0, 1] (1 = pure noise) with the cosine schedule
/// ᾱ(t) = clamp(cos²((t + s)/(1 + s)·π/2) / cos²(s/(1 + s)·π/2), 1e-4, 0.9999), ancestral DDPM steps between the
/// entries of <see cref="Timesteps"/>, and fresh Gaussian noise drawn at every step (the last one included).
/// <para>
/// Arithmetic is float32 operation for operation as the float32 pipeline runs it in PyTorch on an x86 CPU
/// (s stored as float32, π narrowed to float32, torch's SLEEF cosine, float32 linspace), so ᾱ, the schedule and
/// each step reproduce torch's float32 values bit for bit. <see cref="AlphaCumprodFloat64"/> gives the schedule
/// as diffusers computes it for a float64 t.
/// </para>
/// </summary>
public sealed class DdpmWuerstchenScheduler
{
    /// <summary>diffusers' <c>init_noise_sigma</c>: initial latents are plain unit Gaussians.</summary>
    public const float InitNoiseSigma = 1f;

    private const float PiFloat = (float)Math.PI;
    private const float AlphaCumprodMin = 0.0001f, AlphaCumprodMax = 0.9999f;

    private readonly float _s;                 // torch.tensor([s]) is float32
    private readonly float _initAlphaCumprod;  // cos²(s/(1+s)·π/2), computed once in float32 as diffusers does
    private float[] _timesteps = [];

    /// <summary>The exponent reshaping t before the cosine (1 in every released config).</summary>
    public double Scaler { get; }

    /// <summary>The offset s of the cosine schedule, as the float32 value the arithmetic uses.</summary>
    public float S => _s;

    /// <summary>The schedule set by <see cref="SetTimesteps(int)"/>: descending, ending in 0 (which is only a
    /// target time: the sampling loop runs over all entries but the last).</summary>
    public IReadOnlyList<float> Timesteps => _timesteps;

    public DdpmWuerstchenScheduler(double scaler = 1.0, double s = 0.008)
        : this(new DdpmWuerstchenSchedulerConfig(scaler, s)) { }

    public DdpmWuerstchenScheduler(DdpmWuerstchenSchedulerConfig config)
    {
        config.Validate();
        Scaler = config.Scaler;
        _s = (float)config.S;
        float c = SleefCosF.Cos(_s / (1f + _s) * PiFloat * 0.5f);
        _initAlphaCumprod = c * c;
    }

    /// <summary>Loads <c>scheduler_config.json</c> (a file, or the <c>scheduler</c> folder holding it).</summary>
    public static DdpmWuerstchenScheduler FromConfig(string path) => new(DdpmWuerstchenSchedulerConfig.Load(path));

    // ------------------------------------------------------------------ ᾱ(t)

    /// <summary>ᾱ(t) in float32 exactly as torch evaluates it for a float32 t.</summary>
    public float AlphaCumprod(float t)
    {
        t = ApplyScaler(t);
        float c = SleefCosF.Cos((t + _s) / (1f + _s) * PiFloat * 0.5f);
        return Math.Clamp(c * c / _initAlphaCumprod, AlphaCumprodMin, AlphaCumprodMax);
    }

    /// <summary>
    /// ᾱ(t) as diffusers computes it for a float64 t: the arithmetic is double, but s, 1 + s and the normaliser
    /// cos²(s/(1+s)·π/2) are the scheduler's float32 tensors, widened.
    /// </summary>
    public double AlphaCumprodFloat64(double t)
    {
        if (Scaler > 1) t = 1 - Math.Pow(1 - t, Scaler);
        else if (Scaler < 1) t = Math.Pow(t, Scaler);
        double c = Math.Cos((t + _s) / (double)(1f + _s) * Math.PI * 0.5);
        return Math.Clamp(c * c / _initAlphaCumprod, 0.0001, 0.9999);
    }

    private float ApplyScaler(float t)
    {
        if (Scaler > 1) return 1f - TorchPow(1f - t, (float)Scaler);
        if (Scaler < 1) return TorchPow(t, (float)Scaler);
        return t;
    }

    /// <summary>torch's pow(tensor, scalar) shortcuts (exact for 2, 3, 0.5); other exponents use powf, which is not
    /// bit-identical to torch's SLEEF pow (no released config uses a scaler other than 1).</summary>
    private static float TorchPow(float x, float exponent) => exponent switch
    {
        2f => x * x,
        3f => x * x * x,
        0.5f => MathF.Sqrt(x),
        _ => MathF.Pow(x, exponent),
    };

    // ------------------------------------------------------------------ schedules

    /// <summary>
    /// Würstchen's recommended Stage C schedule (not the pipeline default): <c>numpy.linspace(1, 2/3, 20)</c>
    /// followed by <c>numpy.linspace(2/3, 0, 11)[1:]</c>, float64 as in diffusers' Python list.
    /// </summary>
    public static IReadOnlyList<double> DefaultStageCTimestepsFloat64 { get; } =
        [.. NumpyLinspace(1.0, 2.0 / 3.0, 20), .. NumpyLinspace(2.0 / 3.0, 0.0, 11).Skip(1)];

    /// <summary><see cref="DefaultStageCTimestepsFloat64"/> as the float32 tensor the scheduler holds (30 values, 29 steps).</summary>
    public static IReadOnlyList<float> DefaultStageCTimesteps { get; } =
        DefaultStageCTimestepsFloat64.Select(t => (float)t).ToArray();

    /// <summary>numpy's linspace: start + i·((stop − start)/(num − 1)) in double, the last value set to stop exactly.</summary>
    private static double[] NumpyLinspace(double start, double stop, int num)
    {
        double step = (stop - start) / (num - 1);
        var values = new double[num];
        for (int i = 0; i < num; i++) values[i] = i * step + start;
        values[^1] = stop;
        return values;
    }

    /// <summary><c>set_timesteps(num_inference_steps)</c>: <c>torch.linspace(1, 0, n + 1)</c> in float32.</summary>
    public void SetTimesteps(int numInferenceSteps)
    {
        if (numInferenceSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), $"Need at least one inference step, got {numInferenceSteps}.");
        _timesteps = TorchLinspace.Float32(1f, 0f, numInferenceSteps + 1);
    }

    /// <summary><c>set_timesteps(timesteps=list)</c>: an explicit schedule, strictly descending within [0, 1] and ending in 0.</summary>
    public void SetTimesteps(IReadOnlyList<float> timesteps)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        if (timesteps.Count < 2)
            throw new ArgumentException($"A schedule needs at least two timesteps (ending in 0), got {timesteps.Count}.", nameof(timesteps));
        for (int i = 0; i < timesteps.Count; i++)
        {
            float t = timesteps[i];
            if (!(t >= 0f && t <= 1f))
                throw new ArgumentException($"Timestep {i} is {t}; timesteps are ratios in [0, 1].", nameof(timesteps));
            if (i > 0 && !(t < timesteps[i - 1]))
                throw new ArgumentException($"Timesteps must be strictly descending; entry {i} ({t}) follows {timesteps[i - 1]}.", nameof(timesteps));
        }
        if (timesteps[^1] != 0f)
            throw new ArgumentException($"The last timestep must be 0 (the target of the final step), got {timesteps[^1]}.", nameof(timesteps));
        _timesteps = [.. timesteps];
    }

    /// <summary>An explicit schedule given in double (as a Python list is), converted to float32 like <c>torch.Tensor(list)</c>.</summary>
    public void SetTimesteps(IReadOnlyList<double> timesteps)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        SetTimesteps(timesteps.Select(t => (float)t).ToArray());
    }

    /// <summary>
    /// The entry after the one nearest to <paramref name="timestep"/> (first minimum of |timesteps − t| in float32),
    /// diffusers' <c>previous_timestep</c>.
    /// </summary>
    public float PreviousTimestep(float timestep)
    {
        if (_timesteps.Length == 0) throw new InvalidOperationException("Call SetTimesteps before stepping the scheduler.");
        int best = 0;
        for (int i = 1; i < _timesteps.Length; i++)
            if (MathF.Abs(_timesteps[i] - timestep) < MathF.Abs(_timesteps[best] - timestep)) best = i;
        if (best == _timesteps.Length - 1)
            throw new ArgumentException($"Timestep {timestep} is the end of the schedule (nearest entry {_timesteps[best]}); there is no step after it.", nameof(timestep));
        return _timesteps[best + 1];
    }

    // ------------------------------------------------------------------ step

    /// <summary>
    /// One ancestral step from time t to the next entry of the schedule, drawing the noise from
    /// <paramref name="generator"/> (<c>randn</c> of the sample's shape) on every step, including the last, where it
    /// is multiplied by 0 but still advances the generator as diffusers does.
    /// </summary>
    public Tensor Step(Tensor modelOutput, float timestep, Tensor sample, TorchGenerator generator) =>
        Step(modelOutput, [timestep], sample, generator);

    /// <inheritdoc cref="Step(Tensor, float, Tensor, TorchGenerator)"/>
    /// <param name="timesteps">t per batch row, or one value for all rows; the next time is looked up from the first.</param>
    public Tensor Step(Tensor modelOutput, ReadOnlySpan<float> timesteps, Tensor sample, TorchGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        CheckSameShape(modelOutput, sample, "sample");
        using var noise = generator.Randn(modelOutput.Shape);
        return Step(modelOutput, timesteps, sample, noise);
    }

    /// <summary>
    /// The step with given noise (same shape as the sample):
    /// α = ᾱ(t)/ᾱ(t_prev), μ = α^−½ (x_t − (1 − α) ε̂ / (1 − ᾱ(t))^½),
    /// x_prev = μ + ((1 − α)(1 − ᾱ(t_prev))/(1 − ᾱ(t)))^½ · z · [t_prev ≠ 0].
    /// </summary>
    public Tensor Step(Tensor modelOutput, ReadOnlySpan<float> timesteps, Tensor sample, Tensor noise)
    {
        CheckSameShape(modelOutput, sample, "sample");
        CheckSameShape(modelOutput, noise, "noise");
        int batch = BatchSize(modelOutput, timesteps.Length);
        float prev = PreviousTimestep(timesteps[0]);
        float alphaCumprodPrev = AlphaCumprod(prev);
        float noiseMask = prev != 0f ? 1f : 0f;

        var result = Tensor.Empty(modelOutput.Shape);
        var eps = Contiguous(modelOutput, out var epsCopy);
        var x = Contiguous(sample, out var xCopy);
        var z = Contiguous(noise, out var zCopy);
        try
        {
            var epsSpan = eps.AsSpan();
            var xSpan = x.AsSpan();
            var zSpan = z.AsSpan();
            var outSpan = result.AsSpan();
            int rowLength = outSpan.Length / batch;
            for (int b = 0; b < batch; b++)
            {
                // Per-row coefficients: in torch these are [B,1,1,1] tensors broadcast over the row.
                float alphaCumprod = AlphaCumprod(timesteps[timesteps.Length == 1 ? 0 : b]);
                float alpha = alphaCumprod / alphaCumprodPrev;
                float oneMinusAlpha = 1f - alpha;
                float meanScale = MathF.Sqrt(1f / alpha);
                float noiseScaleOfEps = MathF.Sqrt(1f - alphaCumprod);
                float std = MathF.Sqrt(oneMinusAlpha * (1f - alphaCumprodPrev) / (1f - alphaCumprod));
                for (int i = b * rowLength, end = i + rowLength; i < end; i++)
                {
                    float mu = meanScale * (xSpan[i] - oneMinusAlpha * epsSpan[i] / noiseScaleOfEps);
                    outSpan[i] = mu + std * zSpan[i] * noiseMask;
                }
            }
        }
        finally
        {
            epsCopy?.Dispose(); xCopy?.Dispose(); zCopy?.Dispose();
        }
        return result;
    }

    // ------------------------------------------------------------------ training

    /// <summary>
    /// Forward diffusion (training): ᾱ(t)^½ x₀ + (1 − ᾱ(t))^½ ε, with t per batch row (or one value for all rows).
    /// </summary>
    public Tensor AddNoise(Tensor original, Tensor noise, ReadOnlySpan<float> timesteps)
    {
        CheckSameShape(original, noise, "noise");
        int batch = BatchSize(original, timesteps.Length);
        var result = Tensor.Empty(original.Shape);
        var x0 = Contiguous(original, out var x0Copy);
        var z = Contiguous(noise, out var zCopy);
        try
        {
            var x0Span = x0.AsSpan();
            var zSpan = z.AsSpan();
            var outSpan = result.AsSpan();
            int rowLength = outSpan.Length / batch;
            for (int b = 0; b < batch; b++)
            {
                float alphaCumprod = AlphaCumprod(timesteps[timesteps.Length == 1 ? 0 : b]);
                float signalScale = MathF.Sqrt(alphaCumprod), noiseScale = MathF.Sqrt(1f - alphaCumprod);
                for (int i = b * rowLength, end = i + rowLength; i < end; i++)
                    outSpan[i] = signalScale * x0Span[i] + noiseScale * zSpan[i];
            }
        }
        finally
        {
            x0Copy?.Dispose(); zCopy?.Dispose();
        }
        return result;
    }

    // ------------------------------------------------------------------ helpers

    private static void CheckSameShape(Tensor reference, Tensor other, string name)
    {
        if (!reference.Shape.SequenceEqual(other.Shape))
            throw new ArgumentException($"Scheduler: {name} {other} does not match the model output {reference}.", name);
    }

    private static int BatchSize(Tensor t, int timestepCount)
    {
        if (t.Rank == 0 || t.Size(0) == 0) throw new ArgumentException($"Scheduler: expected a batched tensor [B, ...], got {t}.");
        int batch = t.Size(0);
        if (timestepCount != 1 && timestepCount != batch)
            throw new ArgumentException($"Scheduler: {timestepCount} timesteps for a batch of {batch}; give one per row or a single one.");
        return batch;
    }

    private static Tensor Contiguous(Tensor t, out Tensor? copy)
    {
        var c = t.Contiguous();
        copy = ReferenceEquals(c, t) ? null : c;
        return c;
    }
}
