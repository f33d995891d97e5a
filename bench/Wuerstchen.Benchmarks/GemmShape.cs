namespace Wuerstchen.Benchmarks;

/// <summary>
/// One benchmarked GEMM: C[M×N] = A[M×K]·op(B). Linear shapes multiply by a weight stored [N, K] (transB),
/// as Ops.Linear does; <see cref="Packed"/> uses the weight prepacked once (GemmPackedB), as a model that
/// keeps its Linear weights packed would.
/// </summary>
public sealed record GemmShape(string Name, int M, int N, int K, bool TransB, bool Packed)
{
    public double Flops => 2.0 * M * N * K;

    public override string ToString() =>
        $"{Name} M={M} N={N} K={K}{(TransB ? " ·Wᵀ" : "")}{(Packed ? " packed" : "")}";

    /// <summary>"MxNxK" with optional suffixes "t" (B is a weight [N, K]) and "p" (prepacked), e.g. "77x5120x1280tp".</summary>
    public static GemmShape Parse(string text)
    {
        string dims = text.TrimEnd('t', 'p');
        var parts = dims.Split('x').Select(int.Parse).ToArray();
        if (parts.Length != 3) throw new FormatException($"Shape '{text}' is not MxNxK[t][p].");
        string flags = text[dims.Length..];
        return new GemmShape("custom", parts[0], parts[1], parts[2], flags.Contains('t'), flags.Contains('p'));
    }

    /// <summary>GEMM 2048³ and the models' real shapes (Stage C, Stage B and text-encoder MLPs).</summary>
    public static IReadOnlyList<GemmShape> Standard { get; } =
    [
        new("square", 2048, 2048, 2048, false, false),
        new("stage C mlp", 1152, 6144, 1536, true, false),
        new("stage C mlp", 1152, 6144, 1536, true, true),
        new("stage B mlp", 4096, 5120, 1280, true, false),
        new("stage B mlp", 4096, 5120, 1280, true, true),
        new("clip fc1 ×1", 77, 5120, 1280, true, false),
        new("clip fc1 ×1", 77, 5120, 1280, true, true),
        new("clip fc1 ×2", 154, 5120, 1280, true, false),
        new("clip fc1 ×2", 154, 5120, 1280, true, true),
        new("clip fc2 ×1", 77, 1280, 5120, true, false),
        new("clip fc2 ×1", 77, 1280, 5120, true, true),
        new("clip fc2 ×2", 154, 1280, 5120, true, false),
        new("clip fc2 ×2", 154, 1280, 5120, true, true),
    ];
}
