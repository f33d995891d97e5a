using System.Runtime.Intrinsics;
using System.Globalization;
using Wuerstchen.Autograd;
using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training;

/// <summary>AdamW hyper-parameters; the defaults are torch.optim.AdamW's (the authors' Stage C recipe, SPEC §7.2).</summary>
public sealed record AdamWOptions(double LearningRate = 1e-3, double Beta1 = 0.9, double Beta2 = 0.999, double Eps = 1e-8, double WeightDecay = 0.01)
{
    public void Validate()
    {
        if (!(LearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"AdamW: learning rate {LearningRate} must be ≥ 0.");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), $"AdamW: beta1 {Beta1} must be in [0, 1).");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), $"AdamW: beta2 {Beta2} must be in [0, 1).");
        if (!(Eps >= 0)) throw new ArgumentOutOfRangeException(nameof(Eps), $"AdamW: eps {Eps} must be ≥ 0.");
        if (!(WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), $"AdamW: weight decay {WeightDecay} must be ≥ 0.");
    }
}

/// <summary>
/// torch.optim.AdamW, the single-tensor implementation of torch 1.13 in float32, per parameter with a gradient
/// (parameters whose Grad is null are skipped and keep their step count, as in torch):
/// <code>
/// p ← p·(1 − lr·wd)                        decoupled weight decay
/// m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
/// p ← p − (lr / (1 − β1ᵏ)) · m / (√v / √(1 − β2ᵏ) + eps)
/// </code>
/// The scalar factors are formed in double (Python floats) and applied in float32 in torch's operation order.
/// Set <see cref="LearningRate"/> from a schedule before each <see cref="Step"/>.
/// </summary>
public sealed unsafe class AdamW : IDisposable
{
    private sealed class Slot(NamedParameter parameter)
    {
        public readonly NamedParameter Parameter = parameter;
        public long Step;
        public Tensor? ExpAvg, ExpAvgSq;
    }

    private readonly Slot[] _slots;

    public AdamWOptions Options { get; }

    /// <summary>The rate the next <see cref="Step"/> uses (starts at <see cref="AdamWOptions.LearningRate"/>).</summary>
    public double LearningRate { get; set; }

    public AdamW(IEnumerable<NamedParameter> parameters, AdamWOptions? options = null)
    {
        Options = options ?? new AdamWOptions();
        Options.Validate();
        LearningRate = Options.LearningRate;
        _slots = NamedParameter.Validate(parameters, nameof(AdamW)).Select(p => new Slot(p)).ToArray();
    }

    public IReadOnlyList<NamedParameter> Parameters => _slots.Select(s => s.Parameter).ToArray();

    /// <summary>Updates every parameter that has a gradient, in place (nothing is recorded).</summary>
    public void Step()
    {
        using var _ = Tape.NoGrad();
        foreach (var slot in _slots)
        {
            var p = slot.Parameter.Value;
            var g = slot.Parameter.Value.Grad;
            if (g is null) continue;
            if (!g.Shape.SequenceEqual(p.Shape))
                throw new InvalidOperationException($"AdamW: gradient of '{slot.Parameter.Name}' is {g}, the parameter is {p}.");
            slot.ExpAvg ??= Tensor.Zeros(p.Shape);
            slot.ExpAvgSq ??= Tensor.Zeros(p.Shape);
            slot.Step++;
            Update(p, g, slot.ExpAvg, slot.ExpAvgSq, slot.Step);
            Recorder.WroteInPlace(p);
        }
    }

    private void Update(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, long step)
    {
        double lr = LearningRate, b1 = Options.Beta1, b2 = Options.Beta2;
        float decay = (float)(1 - lr * Options.WeightDecay);
        float beta1 = (float)b1, oneMinusBeta1 = (float)(1 - b1), beta2 = (float)b2, oneMinusBeta2 = (float)(1 - b2);
        float negStepSize = (float)-(lr / (1 - Math.Pow(b1, step)));
        float biasCorrection2Sqrt = (float)Math.Sqrt(1 - Math.Pow(b2, step));
        float eps = (float)Options.Eps;
        bool decays = Options.WeightDecay != 0;
        using var gd = new Dense(grad);
        float* p = param.Data, g = gd.Data, m = expAvg.Data, v = expAvgSq.Data;
        Blocks.For(param.Numel, 1 << 14, (start, end) =>
        {
            // 8 lanes, then the scalar tail: the same float operations in the same order per element (no fused
            // multiply-add), so each lane matches the scalar loop bit for bit.
            long i = start;
            var vDecay = Vector256.Create(decays ? decay : 1f);
            var vB1 = Vector256.Create(beta1);
            var v1B1 = Vector256.Create(oneMinusBeta1);
            var vB2 = Vector256.Create(beta2);
            var v1B2 = Vector256.Create(oneMinusBeta2);
            var vBc2 = Vector256.Create(biasCorrection2Sqrt);
            var vEps = Vector256.Create(eps);
            var vStep = Vector256.Create(negStepSize);
            for (; i + 8 <= end; i += 8)
            {
                var gi = Vector256.Load(g + i);
                var pi = decays ? Vector256.Load(p + i) * vDecay : Vector256.Load(p + i);
                var mi = Vector256.Load(m + i) * vB1 + v1B1 * gi;
                var vi = Vector256.Load(v + i) * vB2 + v1B2 * gi * gi;
                var denom = Vector256.Sqrt(vi) / vBc2 + vEps;
                mi.Store(m + i);
                vi.Store(v + i);
                (pi + vStep * mi / denom).Store(p + i);
            }
            for (; i < end; i++)
            {
                float gi = g[i];
                float pi = decays ? p[i] * decay : p[i];
                float mi = m[i] * beta1 + oneMinusBeta1 * gi;
                float vi = v[i] * beta2 + oneMinusBeta2 * gi * gi;
                float denom = MathF.Sqrt(vi) / biasCorrection2Sqrt + eps;
                m[i] = mi;
                v[i] = vi;
                p[i] = pi + negStepSize * mi / denom;
            }
        });
    }

    /// <summary>Drops every gradient (torch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var slot in _slots)
        {
            slot.Parameter.Value.Grad?.Dispose();
            slot.Parameter.Value.Grad = null;
        }
    }

    /// <summary>Step count of parameter <paramref name="name"/> (0 before its first update).</summary>
    public long StepOf(string name) => Find(name).Step;

    /// <summary>First and second moment of parameter <paramref name="name"/> (null before its first update).</summary>
    public (Tensor? ExpAvg, Tensor? ExpAvgSq) MomentsOf(string name)
    {
        var s = Find(name);
        return (s.ExpAvg, s.ExpAvgSq);
    }

    private Slot Find(string name) =>
        _slots.FirstOrDefault(s => s.Parameter.Name == name) ?? throw new KeyNotFoundException($"AdamW: no parameter '{name}'.");

    // ---------------------------------------------------------------- state for resuming

    /// <summary>
    /// A copy of the optimiser state: <c>exp_avg.&lt;name&gt;</c> / <c>exp_avg_sq.&lt;name&gt;</c> tensors and
    /// <c>step.&lt;name&gt;</c> metadata per parameter that has been updated, plus the hyper-parameters.
    /// </summary>
    public TrainingState StateDict()
    {
        var state = new TrainingState();
        state.Metadata["optimizer"] = "AdamW";
        state.Metadata["lr"] = LearningRate.ToString("R", CultureInfo.InvariantCulture);
        state.Metadata["betas"] = string.Create(CultureInfo.InvariantCulture, $"{Options.Beta1:R},{Options.Beta2:R}");
        state.Metadata["eps"] = Options.Eps.ToString("R", CultureInfo.InvariantCulture);
        state.Metadata["weight_decay"] = Options.WeightDecay.ToString("R", CultureInfo.InvariantCulture);
        foreach (var s in _slots)
        {
            if (s.Step == 0) continue;
            state.Metadata["step." + s.Parameter.Name] = s.Step.ToString(CultureInfo.InvariantCulture);
            state.Tensors["exp_avg." + s.Parameter.Name] = s.ExpAvg!.Clone();
            state.Tensors["exp_avg_sq." + s.Parameter.Name] = s.ExpAvgSq!.Clone();
        }
        return state;
    }

    /// <summary>
    /// Restores a <see cref="StateDict"/> (copies the tensors). Every parameter of this optimiser with a step in
    /// the state gets its moments back; parameters absent from the state start fresh; state entries for unknown
    /// parameters or of the wrong shape are errors. The learning rate is restored too.
    /// </summary>
    public void LoadStateDict(TrainingState state)
    {
        if (state.Metadata.TryGetValue("optimizer", out var kind) && kind != "AdamW")
            throw new ArgumentException($"AdamW: the state belongs to a {kind} optimiser.");
        var known = _slots.Select(s => s.Parameter.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var key in state.Metadata.Keys.Where(k => k.StartsWith("step.", StringComparison.Ordinal)))
            if (!known.Contains(key[5..])) throw new ArgumentException($"AdamW: the state has an entry for unknown parameter '{key[5..]}'.");
        foreach (var s in _slots)
        {
            s.ExpAvg?.Dispose(); s.ExpAvgSq?.Dispose();
            s.ExpAvg = s.ExpAvgSq = null;
            s.Step = 0;
            if (!state.Metadata.ContainsKey("step." + s.Parameter.Name)) continue;
            s.Step = state.GetLong("step." + s.Parameter.Name, nameof(AdamW));
            s.ExpAvg = CopyChecked(state.Get("exp_avg." + s.Parameter.Name, nameof(AdamW)), s.Parameter);
            s.ExpAvgSq = CopyChecked(state.Get("exp_avg_sq." + s.Parameter.Name, nameof(AdamW)), s.Parameter);
        }
        if (state.Metadata.TryGetValue("lr", out var lr)) LearningRate = double.Parse(lr, CultureInfo.InvariantCulture);
    }

    private static Tensor CopyChecked(Tensor t, NamedParameter p)
    {
        if (!t.Shape.SequenceEqual(p.Value.Shape))
            throw new ArgumentException($"AdamW: state tensor {t} does not match parameter '{p.Name}' {p.Value}.");
        return t.Clone();
    }

    public void Dispose()
    {
        foreach (var s in _slots) { s.ExpAvg?.Dispose(); s.ExpAvgSq?.Dispose(); s.ExpAvg = s.ExpAvgSq = null; }
    }
}
