using Wuerstchen.IO.SafeTensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// Weight variants (<c>fp16</c>, <c>bf16</c>) across a pipeline's components. The published folders ship variants
/// for the big diffusion models only, so a component without the requested variant loads its default weights
/// (diffusers warns and does the same).
/// </summary>
public static class WeightVariants
{
    /// <summary><paramref name="variant"/> when <paramref name="componentFolder"/> has weights for it, else null (the default weights).</summary>
    public static string? IfPresent(string componentFolder, string? variant)
    {
        if (variant == null) return null;
        string[] baseNames = [DiffusersWeightFiles.DiffusersModel, DiffusersWeightFiles.TransformersModel];
        bool present = baseNames.Any(baseName =>
            DiffusersWeightFiles.CandidateNames(baseName, variant).Any(name => File.Exists(Path.Combine(componentFolder, name))));
        return present ? variant : null;
    }
}
