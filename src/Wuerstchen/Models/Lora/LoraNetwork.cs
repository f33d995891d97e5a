using System.Globalization;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models.Nn;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;
using Wuerstchen.Training;

namespace Wuerstchen.Models.Lora;

/// <summary>
/// A set of LoRA adapters on a model's <see cref="Linear"/> layers, named as PEFT and diffusers name them in
/// <c>pytorch_lora_weights.safetensors</c>: <c>&lt;prefix&gt;&lt;module path&gt;.lora_A.weight</c> [r, in] and
/// <c>.lora_B.weight</c> [out, r] (prefix <c>prior.</c> for Stage C, the pipeline's component name). Attached adapters
/// change the model's forward until <see cref="Detach"/>, <see cref="Merge"/> or <see cref="Dispose"/>; the base
/// weights stay as they were (freeze them for LoRA training: only <see cref="NamedParameters"/> require grad).
/// </summary>
public sealed class LoraNetwork : IDisposable
{
    private const string DownSuffix = ".lora_A.weight", UpSuffix = ".lora_B.weight";
    /// <summary>Metadata our files add beside diffusers' <c>format: pt</c> (diffusers ignores it and uses α = r).</summary>
    private const string RankKey = "lora_rank", AlphaKey = "lora_alpha";

    private readonly List<LoraLinear> _layers;

    /// <summary>Key prefix of the file format, e.g. <c>prior.</c>.</summary>
    public string KeyPrefix { get; }

    /// <summary>The rank r of every adapter.</summary>
    public int Rank { get; }

    /// <summary>lora_alpha α: each adapter's term is scaled by α/r (times <see cref="LoadScale"/>).</summary>
    public float Alpha { get; }

    /// <summary>The user's strength for a loaded LoRA (1 for a new one).</summary>
    public float LoadScale { get; }

    public IReadOnlyList<LoraLinear> Layers => _layers;

    private LoraNetwork(string keyPrefix, int rank, float alpha, float loadScale, List<LoraLinear> layers)
    {
        KeyPrefix = keyPrefix; Rank = rank; Alpha = alpha; LoadScale = loadScale; _layers = layers;
    }

    /// <summary>
    /// PEFT's target matching: a layer is adapted when its path equals a target or ends with "." + target
    /// (<c>to_q</c> matches <c>blocks.2.attention.to_q</c>).
    /// </summary>
    public static bool Matches(string path, IEnumerable<string> targets) =>
        targets.Any(t => path == t || path.EndsWith("." + t, StringComparison.Ordinal));

    /// <summary>
    /// New trainable adapters on every <see cref="Linear"/> of <paramref name="model"/> that a target matches, in module
    /// order, initialised as PEFT does: A ~ kaiming_uniform(a = √5) = U(−1/√in, 1/√in) drawn from
    /// <paramref name="generator"/> (row-major, one float32 uniform per value), B = 0 — so the model's output is
    /// unchanged until B moves. A and B require grad.
    /// </summary>
    public static LoraNetwork Attach(Module model, string keyPrefix, int rank, float alpha, TorchGenerator generator, IReadOnlyList<string> targets)
    {
        if (rank < 1) throw new ArgumentOutOfRangeException(nameof(rank), $"LoRA rank must be at least 1, got {rank}.");
        if (!float.IsFinite(alpha) || alpha <= 0) throw new ArgumentOutOfRangeException(nameof(alpha), $"lora_alpha must be positive, got {alpha}.");
        var linears = model.Modules().OfType<Linear>().Where(l => Matches(l.Path, targets)).ToList();
        if (linears.Count == 0)
            throw new ArgumentException($"No Linear layer of {model.GetType().Name} matches the LoRA targets [{string.Join(", ", targets)}].", nameof(targets));
        var layers = new List<LoraLinear>();
        try
        {
            foreach (var linear in linears)
            {
                var down = Tensor.Empty(rank, linear.InFeatures);
                float bound = 1f / MathF.Sqrt(linear.InFeatures);
                var values = down.AsSpan();
                for (int i = 0; i < values.Length; i++) values[i] = generator.NextFloat() * (2 * bound) - bound;
                var up = Tensor.Zeros(linear.OutFeatures, rank);
                down.RequiresGrad = true;
                up.RequiresGrad = true;
                layers.Add(new LoraLinear(linear, down, up, alpha / rank));
            }
        }
        catch
        {
            foreach (var l in layers) l.Dispose();
            throw;
        }
        return new LoraNetwork(keyPrefix, rank, alpha, 1f, layers);
    }

    /// <summary>
    /// Attaches the LoRA of a <c>pytorch_lora_weights.safetensors</c> (PEFT keys under <paramref name="keyPrefix"/>) to
    /// <paramref name="model"/> with strength <paramref name="scale"/> (diffusers' <c>cross_attention_kwargs={"scale": s}</c>):
    /// each term is scaled by scale·α/r, α from our <c>lora_alpha</c> metadata or α = r (diffusers' training script) without it.
    /// Every key must name an adapted Linear of the model; the tensors are copied (owned, requiring no grad).
    /// </summary>
    public static LoraNetwork Load(Module model, string keyPrefix, string file, float scale = 1f)
    {
        if (!float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), $"LoRA scale must be finite, got {scale}.");
        using var st = SafeTensorsFile.Open(file);
        var byPath = new Dictionary<string, Linear>(StringComparer.Ordinal);
        foreach (var l in model.Modules().OfType<Linear>()) byPath.TryAdd(l.Path, l);

        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var key in st.Keys)
        {
            string? path = ModulePath(key, keyPrefix);
            if (path is null)
                throw new InvalidDataException($"{file}: key '{key}' is not a LoRA weight '{keyPrefix}<module>{DownSuffix}' or '{UpSuffix}'.");
            if (!byPath.ContainsKey(path))
                throw new InvalidDataException($"{file}: key '{key}' names module '{path}', which is no Linear layer of {model.GetType().Name}.");
            paths.Add(path);
        }
        if (paths.Count == 0) throw new InvalidDataException($"{file}: holds no LoRA weights.");

        int rank = -1;
        var layers = new List<LoraLinear>();
        try
        {
            foreach (var path in byPath.Keys.Where(paths.Contains)) // module order, as Attach
            {
                string downKey = keyPrefix + path + DownSuffix, upKey = keyPrefix + path + UpSuffix;
                if (!st.Contains(downKey) || !st.Contains(upKey))
                    throw new InvalidDataException($"{file}: module '{path}' needs both '{downKey}' and '{upKey}'.");
                int r = st.GetInfo(downKey).Shape[0];
                if (rank >= 0 && r != rank) throw new InvalidDataException($"{file}: '{downKey}' has rank {r}, other modules {rank}.");
                rank = r;
                float alpha = AlphaOf(st, rank, file);
                var down = st.ReadTensor(downKey);
                var up = st.ReadTensor(upKey);
                try { layers.Add(new LoraLinear(byPath[path], down, up, scale * alpha / rank)); }
                catch (ArgumentException e) { down.Dispose(); up.Dispose(); throw new InvalidDataException($"{file}: {e.Message}", e); }
            }
            return new LoraNetwork(keyPrefix, rank, AlphaOf(st, rank, file), scale, layers);
        }
        catch
        {
            foreach (var l in layers) l.Dispose();
            throw;
        }
    }

    private static float AlphaOf(SafeTensorsFile st, int rank, string file)
    {
        if (!st.Metadata.TryGetValue(AlphaKey, out var text)) return rank;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float alpha) || !(alpha > 0))
            throw new InvalidDataException($"{file}: metadata '{AlphaKey}' = '{text}' is not a positive number.");
        return alpha;
    }

    private static string? ModulePath(string key, string keyPrefix)
    {
        if (!key.StartsWith(keyPrefix, StringComparison.Ordinal)) return null;
        foreach (var suffix in new[] { DownSuffix, UpSuffix })
            if (key.EndsWith(suffix, StringComparison.Ordinal) && key.Length > keyPrefix.Length + suffix.Length)
                return key[keyPrefix.Length..^suffix.Length];
        return null;
    }

    /// <summary>Every A and B by file key (<c>prior.blocks.2.attention.to_q.lora_A.weight</c>), for an optimiser and for saving.</summary>
    public IEnumerable<NamedParameter> NamedParameters()
    {
        foreach (var l in _layers)
        {
            yield return new NamedParameter(KeyPrefix + l.Target.Path + DownSuffix, l.Down);
            yield return new NamedParameter(KeyPrefix + l.Target.Path + UpSuffix, l.Up);
        }
    }

    /// <summary>
    /// Writes the adapters as diffusers' LoRA scripts do (F32, metadata <c>format: pt</c>), atomically, plus
    /// <c>lora_rank</c> / <c>lora_alpha</c> so that <see cref="Load"/> restores α ≠ r.
    /// </summary>
    public void Save(string file)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [RankKey] = Rank.ToString(CultureInfo.InvariantCulture),
            [AlphaKey] = Alpha.ToString("R", CultureInfo.InvariantCulture),
        };
        SafeTensorsWriter.Save(file, NamedParameters().Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Value)), metadata);
    }

    /// <summary>Folds every adapter into its layer's weight (W += scale·B·A) and detaches it: inference at the base model's cost.</summary>
    public void Merge()
    {
        foreach (var l in _layers) l.Merge();
    }

    /// <summary>Removes every adapter; the model computes as without LoRA (unless merged before).</summary>
    public void Detach()
    {
        foreach (var l in _layers) l.Detach();
    }

    /// <summary>Detaches and frees the adapters' tensors (and their gradients).</summary>
    public void Dispose()
    {
        foreach (var l in _layers)
        {
            l.Down.Grad?.Dispose(); l.Down.Grad = null;
            l.Up.Grad?.Dispose(); l.Up.Grad = null;
            l.Dispose();
        }
        _layers.Clear();
    }
}
