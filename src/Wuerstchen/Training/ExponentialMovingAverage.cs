using System.Globalization;
using Wuerstchen.Autograd;
using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training;

/// <summary>
/// Shadow copies of a model's parameters updated as an exponential moving average, with the two rules of SPEC §7:
/// <list type="bullet">
/// <item>the authors' (§7.2, <see cref="StepAuthors"/>): every 100 updates, a plain copy before update 5,000 and
/// <c>ema·β + p·(1 − β)</c> with β = 0.9 afterwards; the released prior is these weights;</item>
/// <item>diffusers' EMAModel (§7.5, <see cref="StepDiffusers"/>): every update, <c>ema − (1 − d)·(ema − p)</c> with
/// d = 0 at the first update, then min(0.9999, (1 + s)/(10 + s)), s = updates − 1.</item>
/// </list>
/// The shadows are float32 copies owned by this object; each rule is applied in float32 in its script's operation order.
/// </summary>
public sealed unsafe class ExponentialMovingAverage : IDisposable
{
    private readonly NamedParameter[] _shadow;
    private readonly Dictionary<string, int> _index;

    /// <summary>Starts as a copy of <paramref name="parameters"/>.</summary>
    public ExponentialMovingAverage(IEnumerable<NamedParameter> parameters)
    {
        var list = NamedParameter.Validate(parameters, nameof(ExponentialMovingAverage));
        _shadow = list.Select(p => new NamedParameter(p.Name, p.Value.Clone())).ToArray();
        _index = list.Select((p, i) => (p.Name, i)).ToDictionary(t => t.Name, t => t.i, StringComparer.Ordinal);
    }

    /// <summary>The averaged tensors, by parameter name.</summary>
    public IReadOnlyList<NamedParameter> Shadow => _shadow;

    public Tensor this[string name] => _shadow[Index(name)].Value;

    /// <summary>Optimiser updates seen by <see cref="StepDiffusers"/> (diffusers' optimization_step).</summary>
    public long OptimizationStep { get; private set; }

    /// <summary>ema ← p (the authors' load_state_dict before the EMA starts).</summary>
    public void CopyFrom(IEnumerable<NamedParameter> parameters)
    {
        foreach (var (shadow, p) in Pairs(parameters)) shadow.CopyFrom(p);
    }

    /// <summary>ema ← ema·β + p·(1 − β) (the authors' update_weights_ema, in its float32 operation order).</summary>
    public void Blend(IEnumerable<NamedParameter> parameters, double beta)
    {
        float b = (float)beta, ob = (float)(1 - beta);
        foreach (var (shadow, p) in Pairs(parameters))
        {
            using var pd = new Dense(p);
            float* sp = shadow.Data, vp = pd.Data;
            Blocks.For(shadow.Numel, 1 << 14, (start, end) =>
            {
                for (long i = start; i < end; i++) sp[i] = sp[i] * b + vp[i] * ob;
            });
        }
    }

    /// <summary>
    /// The authors' schedule for the update numbered <paramref name="update"/> (1-based, called after every optimiser
    /// step): nothing unless update % <paramref name="every"/> == 0 (or it is the last); then a copy while
    /// update &lt; <paramref name="start"/>, otherwise <see cref="Blend"/> with <paramref name="beta"/>.
    /// Returns what it did.
    /// </summary>
    public EmaAction StepAuthors(IEnumerable<NamedParameter> parameters, long update, bool isLast = false,
        int every = 100, long start = 5000, double beta = 0.9)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(update, 1);
        if (update % every != 0 && !isLast) return EmaAction.None;
        if (update < start) { CopyFrom(parameters); return EmaAction.Copy; }
        Blend(parameters, beta);
        return EmaAction.Blend;
    }

    /// <summary>
    /// diffusers' EMAModel.get_decay for optimisation step <paramref name="optimizationStep"/> (1-based):
    /// s = max(0, step − updateAfterStep − 1); 0 if s ≤ 0; else (1 + s)/(10 + s) (or 1 − (1 + s/invGamma)^−power
    /// with warm-up), capped at <paramref name="maxDecay"/> and floored at <paramref name="minDecay"/>.
    /// </summary>
    public static double DiffusersDecay(long optimizationStep, double maxDecay = 0.9999, double minDecay = 0.0, long updateAfterStep = 0,
        bool useEmaWarmup = false, double invGamma = 1.0, double power = 2.0 / 3.0)
    {
        long s = Math.Max(0, optimizationStep - updateAfterStep - 1);
        if (s <= 0) return 0.0;
        double d = useEmaWarmup ? 1 - Math.Pow(1 + s / invGamma, -power) : (1.0 + s) / (10.0 + s);
        return Math.Max(Math.Min(d, maxDecay), minDecay);
    }

    /// <summary>
    /// diffusers' EMAModel.step (call once per optimiser update): counts the update, then
    /// ema ← ema − (1 − d)·(ema − p) with d = <see cref="DiffusersDecay"/>. Returns d.
    /// </summary>
    public double StepDiffusers(IEnumerable<NamedParameter> parameters, double maxDecay = 0.9999, double minDecay = 0.0,
        long updateAfterStep = 0, bool useEmaWarmup = false, double invGamma = 1.0, double power = 2.0 / 3.0)
    {
        OptimizationStep++;
        double decay = DiffusersDecay(OptimizationStep, maxDecay, minDecay, updateAfterStep, useEmaWarmup, invGamma, power);
        float oneMinusDecay = (float)(1 - decay);
        foreach (var (shadow, p) in Pairs(parameters))
        {
            using var pd = new Dense(p);
            float* sp = shadow.Data, vp = pd.Data;
            Blocks.For(shadow.Numel, 1 << 14, (start, end) =>
            {
                for (long i = start; i < end; i++) sp[i] -= oneMinusDecay * (sp[i] - vp[i]);
            });
        }
        return decay;
    }

    /// <summary>p ← ema for every parameter (to evaluate or save the averaged model).</summary>
    public void CopyTo(IEnumerable<NamedParameter> parameters)
    {
        using var _ = Tape.NoGrad();
        foreach (var (shadow, p) in Pairs(parameters))
        {
            p.CopyFrom(shadow);
            Recorder.WroteInPlace(p);
        }
    }

    private IEnumerable<(Tensor Shadow, Tensor Param)> Pairs(IEnumerable<NamedParameter> parameters)
    {
        foreach (var p in parameters)
        {
            var shadow = _shadow[Index(p.Name)].Value;
            if (!shadow.Shape.SequenceEqual(p.Value.Shape))
                throw new ArgumentException($"ExponentialMovingAverage: parameter '{p.Name}' is {p.Value}, its average {shadow}.");
            yield return (shadow, p.Value);
        }
    }

    private int Index(string name) =>
        _index.TryGetValue(name, out int i) ? i : throw new KeyNotFoundException($"ExponentialMovingAverage: no parameter '{name}'.");

    // ---------------------------------------------------------------- state for resuming

    /// <summary>A copy of the shadows (keys <c>ema.&lt;name&gt;</c>) and diffusers' optimisation step.</summary>
    public TrainingState StateDict()
    {
        var state = new TrainingState();
        state.Metadata["ema.optimization_step"] = OptimizationStep.ToString(CultureInfo.InvariantCulture);
        foreach (var p in _shadow) state.Tensors["ema." + p.Name] = p.Value.Clone();
        return state;
    }

    /// <summary>Restores a <see cref="StateDict"/>: every shadow must be present with its shape.</summary>
    public void LoadStateDict(TrainingState state)
    {
        foreach (var p in _shadow)
        {
            var t = state.Get("ema." + p.Name, nameof(ExponentialMovingAverage));
            if (!t.Shape.SequenceEqual(p.Value.Shape))
                throw new ArgumentException($"ExponentialMovingAverage: state tensor 'ema.{p.Name}' is {t}, the average is {p.Value}.");
            p.Value.CopyFrom(t);
        }
        OptimizationStep = state.GetLong("ema.optimization_step", nameof(ExponentialMovingAverage));
    }

    public void Dispose()
    {
        foreach (var p in _shadow) p.Value.Dispose();
    }
}

/// <summary>What <see cref="ExponentialMovingAverage.StepAuthors"/> did.</summary>
public enum EmaAction { None, Copy, Blend }
