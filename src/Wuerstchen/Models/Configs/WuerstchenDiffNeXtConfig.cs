namespace Wuerstchen.Models.Configs;

/// <summary>
/// <c>decoder/config.json</c> of diffusers' <c>WuerstchenDiffNeXt</c> (Stage B). Property names are the JSON keys
/// in PascalCase. Per-level arrays (<see cref="CHidden"/>, <see cref="NHead"/>, <see cref="Blocks"/>,
/// <see cref="LevelConfig"/>, <see cref="InjectEffnet"/>, <see cref="Dropout"/>) have one entry per level.
/// </summary>
public sealed record WuerstchenDiffNeXtConfig(
    int CIn, int COut, int CR, int PatchSize, int CCond,
    int[] CHidden, int[] NHead, int[] Blocks, string[] LevelConfig, bool[] InjectEffnet,
    int EffnetEmbd, int ClipEmbd, int KernelSize, float[] Dropout)
{
    public const string ClassName = "WuerstchenDiffNeXt";

    /// <summary>The released <c>warp-ai/wuerstchen</c> decoder configuration (equal to the class defaults, SPEC §2.9).</summary>
    public static WuerstchenDiffNeXtConfig WarpAi { get; } = new(
        CIn: 4, COut: 4, CR: 64, PatchSize: 2, CCond: 1024,
        CHidden: [320, 640, 1280, 1280], NHead: [-1, 10, 20, 20], Blocks: [4, 4, 14, 4],
        LevelConfig: ["CT", "CTA", "CTA", "CTA"], InjectEffnet: [false, true, true, true],
        EffnetEmbd: 16, ClipEmbd: 1024, KernelSize: 3, Dropout: [0.1f, 0.1f, 0.1f, 0.1f]);

    public int Levels => CHidden.Length;

    public static WuerstchenDiffNeXtConfig Load(string path) => From(ConfigJson.Load(path));

    public static WuerstchenDiffNeXtConfig From(ConfigJson json)
    {
        json.ExpectClass(ClassName);
        var cHidden = json.IntArray("c_hidden");
        var config = new WuerstchenDiffNeXtConfig(
            CIn: json.Int("c_in"), COut: json.Int("c_out"), CR: json.Int("c_r"), PatchSize: json.Int("patch_size"),
            CCond: json.Int("c_cond"), CHidden: cHidden, NHead: json.IntArray("nhead"), Blocks: json.IntArray("blocks"),
            LevelConfig: json.StringArray("level_config"), InjectEffnet: json.BoolArray("inject_effnet"),
            EffnetEmbd: json.Int("effnet_embd"), ClipEmbd: json.Int("clip_embd"), KernelSize: json.Int("kernel_size"),
            Dropout: json.FloatOrFloatArray("dropout", cHidden.Length, 0.1f));
        config.Validate(json.Source);
        return config;
    }

    public void Validate(string source = nameof(WuerstchenDiffNeXtConfig))
    {
        int n = CHidden.Length;
        ConfigJson.Require(n >= 1, source, "c_hidden", CHidden, "needs at least one level");
        ConfigJson.Require(NHead.Length == n, source, "nhead", NHead, $"needs {n} entries, one per level of c_hidden");
        ConfigJson.Require(Blocks.Length == n, source, "blocks", Blocks, $"needs {n} entries, one per level of c_hidden");
        ConfigJson.Require(LevelConfig.Length == n, source, "level_config", $"[{string.Join(", ", LevelConfig)}]", $"needs {n} entries, one per level of c_hidden");
        ConfigJson.Require(InjectEffnet.Length == n, source, "inject_effnet", $"[{string.Join(", ", InjectEffnet)}]", $"needs {n} entries, one per level of c_hidden");
        ConfigJson.Require(Dropout.Length == n, source, "dropout", $"[{string.Join(", ", Dropout)}]", $"needs {n} entries, one per level of c_hidden");
        ConfigJson.Require(CIn >= 1, source, "c_in", CIn, "must be >= 1");
        ConfigJson.Require(COut >= 1, source, "c_out", COut, "must be >= 1");
        ConfigJson.Require(CR >= 4, source, "c_r", CR, "the r embedding needs c_r >= 4 (its frequency step divides by c_r/2 - 1)");
        ConfigJson.Require(PatchSize >= 1, source, "patch_size", PatchSize, "must be >= 1");
        ConfigJson.Require(CCond >= 1, source, "c_cond", CCond, "must be >= 1");
        ConfigJson.Require(EffnetEmbd >= 1, source, "effnet_embd", EffnetEmbd, "must be >= 1");
        ConfigJson.Require(ClipEmbd >= 1, source, "clip_embd", ClipEmbd, "must be >= 1");
        ConfigJson.Require(KernelSize >= 1 && KernelSize % 2 == 1, source, "kernel_size", KernelSize, "must be odd so that padding k/2 keeps the size");
        for (int i = 0; i < n; i++)
        {
            ConfigJson.Require(CHidden[i] >= 1, source, $"c_hidden[{i}]", CHidden[i], "must be >= 1");
            ConfigJson.Require(Blocks[i] >= 1, source, $"blocks[{i}]", Blocks[i], "every level needs at least one repeat");
            string cfg = LevelConfig[i];
            ConfigJson.Require(cfg.Length >= 1 && cfg.All(ch => ch is 'C' or 'T' or 'A'), source, $"level_config[{i}]", $"\"{cfg}\"",
                "must be a non-empty string of the block letters C (ResBlock), T (TimestepBlock), A (AttnBlock)");
            // The skip and effnet tensors are handed to the first module of a level; only a ResBlock consumes them.
            ConfigJson.Require(cfg[0] == 'C', source, $"level_config[{i}]", $"\"{cfg}\"", "must start with C: the level's skip input goes to its first block");
            if (cfg.Contains('A'))
                ConfigJson.Require(NHead[i] >= 1 && CHidden[i] % NHead[i] == 0, source, $"nhead[{i}]", NHead[i],
                    $"level {i} has attention, so nhead must be >= 1 and divide c_hidden[{i}] = {CHidden[i]}");
            ConfigJson.Require(Dropout[i] is >= 0 and < 1, source, $"dropout[{i}]", Dropout[i], "must be in [0, 1)");
        }
    }

    public bool Equals(WuerstchenDiffNeXtConfig? other) =>
        other is not null && CIn == other.CIn && COut == other.COut && CR == other.CR && PatchSize == other.PatchSize &&
        CCond == other.CCond && CHidden.SequenceEqual(other.CHidden) && NHead.SequenceEqual(other.NHead) &&
        Blocks.SequenceEqual(other.Blocks) && LevelConfig.SequenceEqual(other.LevelConfig) &&
        InjectEffnet.SequenceEqual(other.InjectEffnet) && EffnetEmbd == other.EffnetEmbd && ClipEmbd == other.ClipEmbd &&
        KernelSize == other.KernelSize && Dropout.SequenceEqual(other.Dropout);

    public override int GetHashCode() => HashCode.Combine(CIn, CR, CCond, CHidden.Length, EffnetEmbd, ClipEmbd);
}
