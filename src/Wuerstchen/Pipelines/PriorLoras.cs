using Wuerstchen.Models.Lora;

namespace Wuerstchen.Pipelines;

/// <summary>
/// The LoRAs of a prior request, attached to the prior for one run and detached afterwards, so a prior kept loaded
/// between runs returns to its base weights (attached adapters rather than merged weights: a merge could not be undone
/// exactly). A prior without LoRA runs exactly the code it runs without this class.
/// </summary>
internal sealed class PriorLoras : IDisposable
{
    private readonly List<LoraNetwork> _networks;

    private PriorLoras(List<LoraNetwork> networks) => _networks = networks;

    /// <summary>Checks the files before any model is loaded.</summary>
    public static void Validate(IReadOnlyList<LoraFile>? loras, string argument)
    {
        if (loras is null) return;
        foreach (var lora in loras)
        {
            if (lora is null || string.IsNullOrEmpty(lora.Path)) throw new ArgumentException("A LoRA entry has no file.", argument);
            if (!File.Exists(lora.Path)) throw new ArgumentException($"LoRA file '{lora.Path}' does not exist.", argument);
            if (!float.IsFinite(lora.Scale)) throw new ArgumentException($"LoRA '{lora.Path}': scale {lora.Scale} is not finite.", argument);
        }
    }

    /// <summary>Attaches every LoRA (in order; their terms add up) to <paramref name="prior"/>, or returns null when there are none.</summary>
    public static PriorLoras? Attach(IPriorModel prior, IReadOnlyList<LoraFile>? loras)
    {
        if (loras is null || loras.Count == 0) return null;
        if (prior is not WuerstchenPriorAdapter adapter)
            throw new NotSupportedException($"LoRA needs the library's WuerstchenPrior; this pipeline's prior is a {prior.GetType().Name}.");
        var networks = new List<LoraNetwork>();
        try
        {
            foreach (var lora in loras) networks.Add(PriorLora.Load(adapter.Model, lora.Path, lora.Scale));
        }
        catch
        {
            foreach (var n in networks) n.Dispose();
            throw;
        }
        return new PriorLoras(networks);
    }

    public void Dispose()
    {
        foreach (var n in _networks) n.Dispose();
        _networks.Clear();
    }
}
